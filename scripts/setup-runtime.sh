#!/usr/bin/env bash
# Installs what the runtime enforcer needs to build and test (issue 14), idempotently:
#   clang, llvm, libelf-dev, zlib1g-dev, pkg-config: build the eBPF C programs (libbpf-cargo) and
#     link libbpf-sys's vendored libbpf;
#   bpftool: generates vmlinux.h from the running kernel's BTF at build time;
#   runc, crun, debootstrap: run the integration tests' containers from a real Debian root filesystem.
# Runs as root (Debian); does nothing when every tool is present. Not root: prints what is
# missing and exits 0, so the build and the tests that need them skip with a note.
set -euo pipefail
need=()
for tool in clang:clang llvm-strip:llvm bpftool:bpftool runc:runc crun:crun debootstrap:debootstrap pkg-config:pkg-config; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool##*:}")
done
for header in /usr/include/libelf.h:libelf-dev /usr/include/zlib.h:zlib1g-dev; do
  [ -e "${header%%:*}" ] || need+=("${header##*:}")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "note: runtime enforcer tools missing (${need[*]}); run scripts/setup-runtime.sh as root" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
