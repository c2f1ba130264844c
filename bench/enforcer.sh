#!/usr/bin/env bash
# Overhead of the runtime enforcer (issue 14), same run, medians of $RUNS runs:
#   - exec storm: $EXECS runs of /bin/true from a dash loop, on the host and inside a runc
#     container (fixture rootfs), without the agent and with `kabuto enforcer` running with an
#     audit-mode policy covering the container (every exec in it is judged);
#   - connect storm: $CONNECTS TCP connects to a host listener from bash's /dev/tcp inside the
#     container (cgroup/connect4 runs for each);
#   - the agent's peak RSS, and the kernel events it lost (ring buffer full).
# Needs root, runc, the fixture rootfs (../shared/images/build-fixture-images.sh) and a built
# kabuto (cargo build --release -p kabuto). Usage: bench/enforcer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EXECS=${EXECS:-20000}
CONNECTS=${CONNECTS:-50000}
RUNS=${RUNS:-3}
target=${CARGO_TARGET_DIR:-target}
kabuto=${KABUTO:-$target/release/kabuto}
rootfs=${FIXTURE_DIR:-$HOME/.cache/kabuto-fixtures}/out/rootfs/debian-app
[ "$(id -u)" = 0 ] || { echo "bench/enforcer.sh needs root" >&2; exit 1; }
[ -x "$kabuto" ] || { echo "no $kabuto: cargo build --release -p kabuto" >&2; exit 1; }
[ -x "$rootfs/bin/sh" ] || { echo "no fixture rootfs at $rootfs" >&2; exit 1; }

work=$(mktemp -d)
id=kabuto-bench-$$
agent=
listener=
cleanup() {
  [ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
  [ -n "$listener" ] && kill "$listener" 2>/dev/null
  runc delete -f "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bundle"
cat > "$work/bundle/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/sleep", "3600"],
   "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/",
   "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": true},
 "root": {"path": "$rootfs", "readonly": true}, "hostname": "bench",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]}}
JSON
runc run -d --bundle "$work/bundle" "$id" </dev/null >/dev/null

python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(4096); print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.close()
' > "$work/port" &
listener=$!
sleep 0.5
port=$(cat "$work/port")

cat > "$work/policy.yaml" <<YAML
name: bench-audit
enforce: false
scope: {expression: v1, variables: [{attribute: container.name, value: "$id"}]}
container_exec: {enabled: true}
executable_blacklist: {enabled: true, executables: [nc]}
drift_prevention: {enabled: true}
reverse_shell: {enabled: true}
port_block: {enabled: true, block_outbound_ports: ["1"]}
YAML

exec_storm_host() { dash -c "i=0; while [ \$i -lt $EXECS ]; do /bin/true; i=\$((i+1)); done"; }
exec_storm_container() { runc exec "$id" /bin/sh -c "i=0; while [ \$i -lt $EXECS ]; do /bin/true; i=\$((i+1)); done"; }
connect_storm() { runc exec "$id" /bin/bash -c "for i in \$(seq $CONNECTS); do exec 3<>/dev/tcp/127.0.0.1/$port; exec 3>&-; done"; }

# Wall seconds of one run of a function.
wall() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A runs
cpu() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
start_agent() {
  "$kabuto" enforcer --policy "$work/policy.yaml" --events "$work/events.jsonl" \
    --spool "$work/spool" --host bench > "$work/agent.log" 2>&1 &
  agent=$!
  for _ in $(seq 100); do grep -q "kabuto enforcer: enforcement" "$work/agent.log" && break; sleep 0.1; done
  grep -q "kabuto enforcer: enforcement" "$work/agent.log" || { cat "$work/agent.log"; exit 1; }
}
stop_agent() {
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
  kill -TERM "$agent"; wait "$agent" || true; agent=
  summary=$(tail -1 "$work/agent.log")
}

# Runs alternate without and with the agent, so the machine's changing load (other builds on
# these 2 cores) falls on both sides alike.
agent_cpu=0
for run in $(seq "$RUNS"); do
  for kind in exec-host exec-container connect-container; do
    case $kind in
      exec-host) f=exec_storm_host ;; exec-container) f=exec_storm_container ;; *) f=connect_storm ;;
    esac
    runs[$kind-off]+="$(wall "$f") "
    start_agent
    [ "$kind" = exec-container ] && cpu0=$(cpu)
    runs[$kind-on]+="$(wall "$f") "
    [ "$kind" = exec-container ] && agent_cpu=$(echo "$agent_cpu + ($(cpu) - $cpu0) / $(getconf CLK_TCK)" | bc -l)
    stop_agent
    echo "  run $run $kind: without ${runs[$kind-off]}| with ${runs[$kind-on]}"
  done
done
grep "kabuto enforcer: enforcement" "$work/agent.log"
echo "$summary"
declare -A result
for key in "${!runs[@]}"; do
  result[$key]=$(printf '%s\n' ${runs[$key]} | median)
  echo "  $key: ${runs[$key]}"
done

echo "== results (median with / median without)"
for kind in exec-host exec-container connect-container; do
  on=${result[$kind-on]}; off=${result[$kind-off]}
  printf '  %-20s %.3f s / %.3f s = %+.1f %%\n' "$kind" "$on" "$off" "$(echo "($on / $off - 1) * 100" | bc -l)"
done
printf '  agent peak RSS (last run): %d KiB\n' "$rss"
printf '  exec rate in the container storm: %.0f execs/s\n' "$(echo "$EXECS / ${result[exec-container-on]}" | bc -l)"
# Each exec in the container storm is three kernel events for the agent (fork, exec, exit).
printf '  agent CPU during the container exec storms: %.2f s for %d kernel events = %.0f events/s per core\n' \
  "$agent_cpu" "$((3 * EXECS * RUNS))" "$(echo "3 * $EXECS * $RUNS / ($agent_cpu + 0.001)" | bc -l)"
