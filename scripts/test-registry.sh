#!/usr/bin/env bash
# Starts real OCI registries on loopback for kabuto-source's registry tests, pushes the
# fixture images into them, and writes an env file the tests read.
#
#   scripts/test-registry.sh [start|stop]      (default: start; start restarts)
#
# Registries (Debian's docker-registry, distribution 2.8), all serving one storage dir:
#   plain  plain HTTP, anonymous
#   tls    HTTPS with a self-signed CA, htpasswd basic auth (user/password below)
#   token  plain HTTP, bearer-token auth; the token server is run by the Rust test
#          itself on TOKEN_SERVER_PORT, signing JWTs with token.key (x5c: token.crt)
# Images come from build-fixture-images.sh's OCI layouts (KABUTO_FIXTURES_OCI).
#
# Env: KABUTO_REGISTRY_DIR (default /tmp/kabuto-registry) holds configs, certs, logs, pid
# files and registry.env; tests find it through the same variable or that default.
set -euo pipefail

dir=${KABUTO_REGISTRY_DIR:-/tmp/kabuto-registry}
fixtures=${KABUTO_FIXTURES_OCI:-/root/.cache/kabuto-fixtures/out/oci}
user=kabuto
password=registry-test-password

stop() {
    for pidfile in "$dir"/*.pid; do
        [ -e "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
        rm -f "$pidfile"
    done
    rm -f "$dir/registry.env"
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v openssl >/dev/null || need+=(openssl)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$dir"
stop
if [ ! -d "$fixtures/alpine-like" ] || [ ! -d "$fixtures/debian-app" ]; then
    # Not an error: the registry tests skip with a note when registry.env is absent.
    echo "note: no fixture images in $fixtures (build-fixture-images.sh builds them); registries not started"
    exit 0
fi
rm -rf "$dir/storage" "$dir/multi"
mkdir -p "$dir/storage"

# A free loopback port: below the kernel's ephemeral range (the client sockets of skopeo and
# curl take ports from that range, and a port one of them holds cannot be listened on), not
# handed out before in this run, and nothing accepts a connection on it.
read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range
port_span=$((ephemeral_low - 10000))
[ "$port_span" -ge 2000 ] || port_span=30000 # no room below it: the start retries cover a race
taken_ports=" "
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((10000 + RANDOM % port_span))
        case "$taken_ports" in *" $port "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "no free port found" >&2
    exit 1
}
token_server_port=$(free_port)
taken_ports=" $token_server_port "

# Certificates: a CA and a server cert for 127.0.0.1/localhost; a token signing key.
if [ ! -e "$dir/server.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kabuto test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 3650 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kabuto test token issuer" \
        -keyout "$dir/token.key" -out "$dir/token.crt" 2>/dev/null
fi
htpasswd -Bbn "$user" "$password" >"$dir/htpasswd"

write_config() { # name port extra-yaml
    cat >"$dir/$1.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: false
http:
  addr: 127.0.0.1:$2
$3
EOF
}
registry_extra_config() { # name -> the config lines beyond the listen address
    case "$1" in
    plain) ;;
    tls) echo "  tls:
    certificate: $dir/server.crt
    key: $dir/server.key
auth:
  htpasswd:
    realm: kabuto-test
    path: $dir/htpasswd" ;;
    token) echo "auth:
  token:
    realm: http://127.0.0.1:$token_server_port/token
    service: kabuto-test-registry
    issuer: kabuto-test-issuer
    rootcertbundle: $dir/token.crt" ;;
    esac
}

# Starts registry NAME on a fresh port (set in ${NAME}_port); a port another process took in
# the meantime makes it try the next one.
start_registry() { # name scheme
    local port pid
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        taken_ports="$taken_ports$port "
        write_config "$1" "$port" "$(registry_extra_config "$1")"
        setsid docker-registry serve "$dir/$1.yml" >"$dir/$1.log" 2>&1 </dev/null &
        pid=$!
        echo $pid >"$dir/$1.pid"
        for _ in $(seq 1 100); do
            if curl -s -o /dev/null --cacert "$dir/ca.crt" "$2://127.0.0.1:$port/v2/"; then
                printf -v "${1}_port" '%s' "$port"
                return
            fi
            kill -0 $pid 2>/dev/null || break
            sleep 0.1
        done
        grep -q "address already in use" "$dir/$1.log" || break
        kill $pid 2>/dev/null || true
    done
    echo "registry $1 did not start; log:" >&2
    cat "$dir/$1.log" >&2
    exit 1
}

start_registry plain http
push() { # skopeo source, destination repo:tag, extra flags
    skopeo copy -q --dest-tls-verify=false "${@:3}" "$1" "docker://127.0.0.1:$plain_port/$2" >/dev/null
}
for layout in "$fixtures"/*/; do
    name=$(basename "$layout")
    push "oci:$layout:latest" "fixtures/$name:latest"
done
# The same image as Docker v2 schema 2 (manifest media type and compressed layers differ).
push "oci:$fixtures/alpine-like:latest" "fixtures/alpine-like:docker" --format v2s2

# A multi-arch index: alpine-like as linux/amd64 plus a copy whose config says
# linux/arm64/v8 (same layers), built as an OCI layout and pushed with --all.
multi="$dir/multi"
mkdir -p "$multi/blobs/sha256"
cp "$fixtures/alpine-like/blobs/sha256/"* "$multi/blobs/sha256/"
echo '{"imageLayoutVersion":"1.0.0"}' >"$multi/oci-layout"
blob() { # file -> prints "digest size" after moving the file into blobs/
    local sum size
    sum=$(sha256sum "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    mv "$1" "$multi/blobs/sha256/$sum"
    echo "sha256:$sum $size"
}
amd64_manifest=$(jq -r '.manifests[0].digest' "$fixtures/alpine-like/index.json")
amd64_size=$(jq -r '.manifests[0].size' "$fixtures/alpine-like/index.json")
amd64_config=$(jq -r '.config.digest' "$multi/blobs/sha256/${amd64_manifest#sha256:}")
jq -c '.architecture = "arm64" | .variant = "v8"' \
    "$multi/blobs/sha256/${amd64_config#sha256:}" >"$multi/config.tmp"
read -r arm64_config arm64_config_size < <(blob "$multi/config.tmp")
jq -c --arg d "$arm64_config" --argjson s "$arm64_config_size" '.config.digest = $d | .config.size = $s' \
    "$multi/blobs/sha256/${amd64_manifest#sha256:}" >"$multi/manifest.tmp"
read -r arm64_manifest arm64_size < <(blob "$multi/manifest.tmp")
jq -nc --arg a "$amd64_manifest" --argjson asize "$amd64_size" --arg b "$arm64_manifest" --argjson bsize "$arm64_size" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $asize,
     platform: {os: "linux", architecture: "amd64"}},
    {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $b, size: $bsize,
     platform: {os: "linux", architecture: "arm64", variant: "v8"}}]}' >"$multi/index.tmp"
read -r index_digest index_size < <(blob "$multi/index.tmp")
jq -nc --arg d "$index_digest" --argjson s "$index_size" '{schemaVersion: 2, manifests: [
  {mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
   annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' >"$multi/index.json"
push "oci:$multi:latest" "fixtures/multi:latest" --all

start_registry tls https
start_registry token http

cat >"$dir/registry.env" <<EOF
PLAIN_PORT=$plain_port
TLS_PORT=$tls_port
TOKEN_PORT=$token_port
TOKEN_SERVER_PORT=$token_server_port
TOKEN_SERVICE=kabuto-test-registry
TOKEN_ISSUER=kabuto-test-issuer
TOKEN_KEY=$dir/token.key
TOKEN_CERT=$dir/token.crt
CA_FILE=$dir/ca.crt
USERNAME=$user
PASSWORD=$password
MULTI_INDEX_DIGEST=$index_digest
MULTI_AMD64_DIGEST=$amd64_manifest
MULTI_ARM64_DIGEST=$arm64_manifest
EOF
echo "registries up (plain :$plain_port, tls :$tls_port, token :$token_port); env in $dir/registry.env"
