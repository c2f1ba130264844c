#!/usr/bin/env bash
# Overhead of the runtime enforcer (issue 14) against no agent, same run, medians of $RUNS
# interleaved rounds (each round runs every mode once, in turn, so the machine's changing load
# falls on all of them alike; the spread of each is printed):
#   - exec storm: $EXECS runs of /bin/true from a dash loop inside a runc container (fixture
#     rootfs);
#   - connect storm: $CONNECTS TCP connects to a host listener from bash's /dev/tcp in it;
# for these modes:
#   none            no agent
#   audit           `kabuto enforcer` with an audit-mode policy (5 controls) on the container
#   kill            an enforcing policy (deny list, drift, reverse shell, a blocked port),
#                   --exec-enforcement kill (tp_btf + SIGKILL)
#   fanotify        the same policy, --exec-enforcement fanotify (EPERM before the program runs;
#                   files every gated container allows get ignore marks after their first run,
#                   so their next execs raise no permission event)
#   fanotify-all    the same plus an enforced container_exec (the storm's own shell on its
#                   list): a runtime exec is known only per process, so no file gets an ignore
#                   mark and every exec is two permission events (program, ELF interpreter)
# Then: the agent's CPU per kernel event (audit mode), its peak RSS, and loss: $LOSS_SPAWNERS
# spawners in the container (bench/enforcer/spawn.c: posix_spawn of a static no-libc program,
# bench/enforcer/nop.c; a dash loop of /bin/true tops out near 2,400 execs/s on 2 cores) run
# $LOSS_EXECS execs paced to $LOSS_RATE execs/s in all, then as fast as they go, under an
# audit-mode allow list the program misses, so each exec must reach the agent and become an
# audit event; execs done vs audit events counted, and the ring buffer's drop counter.
# Needs root, runc, clang with a static C library, the fixture rootfs
# (../shared/images/build-fixture-images.sh) and a built kabuto (cargo build --release -p
# kabuto). Usage: bench/enforcer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
EXECS=${EXECS:-20000}
CONNECTS=${CONNECTS:-20000}
RUNS=${RUNS:-5}
MODES=${MODES:-none audit kill fanotify fanotify-all}
LOSS_EXECS=${LOSS_EXECS:-50000}
LOSS_RATE=${LOSS_RATE:-10000}
LOSS_SPAWNERS=${LOSS_SPAWNERS:-2}
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

mkdir -p "$work/bundle" "$work/bin"
clang -O2 -static -nostdlib -o "$work/bin/nop" bench/enforcer/nop.c
clang -O2 -static -o "$work/bin/spawn" bench/enforcer/spawn.c
cat > "$work/bundle/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/sleep", "3600"],
   "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/",
   "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": true},
 "root": {"path": "$rootfs", "readonly": true}, "hostname": "bench",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
   {"destination": "/opt/bench", "type": "bind", "source": "$work/bin", "options": ["rbind", "ro"]}],
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

scope="scope: {expression: v1, variables: [{attribute: container.name, value: \"$id\"}]}"
cat > "$work/audit.yaml" <<YAML
name: bench-audit
enforce: false
$scope
container_exec: {enabled: true}
executable_blacklist: {enabled: true, executables: [nc]}
drift_prevention: {enabled: true}
reverse_shell: {enabled: true}
port_block: {enabled: true, block_outbound_ports: ["1"]}
YAML
cat > "$work/enforce.yaml" <<YAML
name: bench-enforce
enforce: true
$scope
executable_blacklist: {enabled: true, executables: [nc]}
drift_prevention: {enabled: true}
reverse_shell: {enabled: true}
port_block: {enabled: true, block_outbound_ports: ["1"]}
YAML
cat > "$work/exec.yaml" <<YAML
name: bench-exec
enforce: true
$scope
container_exec: {enabled: true, container_exec_proc_white_list: [/bin/sh, /bin/bash]}
executable_blacklist: {enabled: true, executables: [nc]}
drift_prevention: {enabled: true}
YAML
cat > "$work/count.yaml" <<YAML
name: bench-count
enforce: false
$scope
allowed_executables: {enabled: true, allow_executables: [/bin/sh, /usr/bin/dash, /opt/bench/spawn]}
YAML

loop() { echo "i=0; while [ \$i -lt $1 ]; do /bin/true; i=\$((i+1)); done"; }
exec_storm() { runc exec "$id" /bin/sh -c "$(loop "$EXECS")"; }
connect_storm() { runc exec "$id" /bin/bash -c "for i in \$(seq $CONNECTS); do exec 3<>/dev/tcp/127.0.0.1/$port; exec 3>&-; done"; }

# Wall seconds of one run of a function.
wall() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -n | awk '{a[NR]=$1} END {printf "%.2f-%.2f", a[1], a[NR]}'; }

cpu() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
start_agent() { # policy file, --exec-enforcement
  rm -rf "$work/spool" "$work/events.jsonl"
  "$kabuto" enforcer --policy "$1" --exec-enforcement "$2" --events "$work/events.jsonl" \
    --spool "$work/spool" --host bench > "$work/agent.log" 2>&1 &
  agent=$!
  for _ in $(seq 100); do grep -q "kabuto enforcer: enforcement" "$work/agent.log" && break; sleep 0.1; done
  grep -q "kabuto enforcer: enforcement" "$work/agent.log" || { cat "$work/agent.log"; exit 1; }
  grep "kabuto enforcer: enforcement" "$work/agent.log" > "$work/mode-$2"
  sleep 0.5 # let the agent register the container
}
stop_agent() {
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
  kill -TERM "$agent"; wait "$agent" || true; agent=
  summary=$(tail -1 "$work/agent.log")
}
start_mode() {
  case $1 in
    none) ;;
    audit) start_agent "$work/audit.yaml" auto ;;
    kill) start_agent "$work/enforce.yaml" kill ;;
    fanotify) start_agent "$work/enforce.yaml" fanotify ;;
    fanotify-all) start_agent "$work/exec.yaml" fanotify ;;
  esac
}

declare -A runs
agent_cpu=0 agent_events=0 peak_rss=0
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$RUNS"); do
  for mode in $MODES; do
    start_mode "$mode"
    [ "$mode" = audit ] && cpu0=$(cpu)
    runs[exec-$mode]+="$(wall exec_storm) "
    [ "$mode" = audit ] && agent_cpu=$(echo "$agent_cpu + ($(cpu) - $cpu0) / $(getconf CLK_TCK)" | bc -l)
    runs[connect-$mode]+="$(wall connect_storm) "
    if [ "$mode" != none ]; then
      stop_agent
      [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
      if [ "$mode" = audit ]; then
        # Kernel events of the audit run: the exec storm's share is read from the summary below.
        echo "    $summary"
      fi
    fi
  done
  echo "  round $run: load $(cut -d' ' -f1 /proc/loadavg)"
done
cat "$work"/mode-* 2>/dev/null || true

echo "== exec storm ($EXECS /bin/true in the container) and connect storm ($CONNECTS connects): median s (spread) and against none"
for kind in exec connect; do
  base=$(printf '%s\n' ${runs[$kind-none]} | median)
  for mode in $MODES; do
    m=$(printf '%s\n' ${runs[$kind-$mode]} | median)
    printf '  %-8s %-15s %7.3f s (%s)  %+6.1f %%\n' "$kind" "$mode" "$m" \
      "$(printf '%s\n' ${runs[$kind-$mode]} | spread)" "$(echo "($m / $base - 1) * 100" | bc -l)"
  done
done
rate=$(echo "$EXECS / $(printf '%s\n' ${runs[exec-none]} | median)" | bc -l)
printf '  exec rate without an agent: %.0f execs/s\n' "$rate"
if [[ " $MODES " == *" audit "* ]]; then
  # Each exec of the storm is three kernel events for the agent (fork, exec, exit).
  events=$((3 * EXECS * RUNS))
  per_core=$(echo "$events / ($agent_cpu + 0.001)" | bc -l)
  printf '  agent CPU during the audit-mode exec storms: %.2f s for %d kernel events = %.0f events/s per core\n' \
    "$agent_cpu" "$events" "$per_core"
  printf '  Falco (published: 4,400 events/s at 38%% of a core = 11,579 events/s per core): ratio %.1f\n' \
    "$(echo "$per_core / 11579" | bc -l)"
fi
printf '  agent peak RSS (all runs): %d KiB (goal 64 MB)\n' "$peak_rss"

echo "== loss: $LOSS_SPAWNERS spawners, $LOSS_EXECS execs of a static program in all, every exec an audit event (audit-mode allow list)"
loss() { # total rate (0: as fast as it goes)
  local each=$((LOSS_EXECS / LOSS_SPAWNERS)) per=$(($1 / LOSS_SPAWNERS)) t counted
  start_agent "$work/count.yaml" auto
  t=$(wall runc exec "$id" /bin/sh -c \
    "for j in \$(seq $LOSS_SPAWNERS); do /opt/bench/spawn $each $per /opt/bench/nop & done; wait")
  sleep 2
  stop_agent
  counted=$(grep -c '"path":"/opt/bench/nop"' "$work/events.jsonl" || true)
  printf '  %s: %d execs in %.2f s = %.0f execs/s; audit events for them: %d (%d missing); %s\n' \
    "$([ "$1" = 0 ] && echo 'no pace' || echo "$1/s")" "$((each * LOSS_SPAWNERS))" "$t" \
    "$(echo "$each * $LOSS_SPAWNERS / $t" | bc -l)" "$counted" "$((each * LOSS_SPAWNERS - counted))" "$summary"
}
loss "$LOSS_RATE"
loss 0
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
