#!/usr/bin/env bash
# Soak: `envctl controller` on cloudsim (high speed) resyncing the bikeshare sample (DEV
# and TEST) every RESYNC for DURATION, sampling the controller's RSS and open file
# descriptors every SAMPLE. RSS must flatten after the first syncs and fds stay flat.
#
#   tests/bench/soak.sh [DURATION=2h] [RESYNC=15s] [SAMPLE=60s]   (durations: Ns, Nm, Nh)
#
# Uses build/envctl and build/cloudsim/cloudsim; everything in a temp dir, on 127.0.0.1.
set -euo pipefail

DURATION=${1:-2h}
RESYNC=${2:-15s}
SAMPLE=${3:-60s}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}

seconds() {
  local v=$1
  case $v in
    *h) echo $((${v%h} * 3600)) ;;
    *m) echo $((${v%m} * 60)) ;;
    *s) echo "${v%s}" ;;
    *) echo "$v" ;;
  esac
}

WORK=$(mktemp -d /tmp/envctl-soak-XXXXXX)
SIM_PID=
CTL_PID=
cleanup() {
  [ -n "$CTL_PID" ] && kill "$CTL_PID" 2>/dev/null && wait "$CTL_PID" 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BUILD/cloudsim/cloudsim" --port 0 --state-dir "$WORK/sim" --speed 1000 >"$WORK/cloudsim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 200); do [ -f "$WORK/sim/endpoints.json" ] && break; sleep 0.1; done
[ -f "$WORK/sim/endpoints.json" ] || { echo "cloudsim did not start: $(cat "$WORK/cloudsim.log")"; exit 1; }

cp -r "$ROOT/examples/bikeshare" "$WORK/repo"
sed -i "s/resyncInterval: 10m/resyncInterval: $RESYNC/" "$WORK/repo/envctl.yaml"
cat >"$WORK/controller.yaml" <<EOF
source:
  folder: $WORK/repo
  pollInterval: 1m
environments: [dev, test]
cloud: $WORK/sim/endpoints.json
stateDir: $WORK/controller
grpc:
  listen: 127.0.0.1:0
http:
  listen: 127.0.0.1:0
log:
  level: warning
EOF
"$BUILD/envctl" controller --config "$WORK/controller.yaml" >"$WORK/controller.out" 2>"$WORK/controller.err" &
CTL_PID=$!

end=$(($(date +%s) + $(seconds "$DURATION")))
start=$(date +%s)
printf '%8s %10s %5s %10s\n' "t (s)" "RSS MiB" "fds" "reconciles"
while [ "$(date +%s)" -lt "$end" ]; do
  sleep "$(seconds "$SAMPLE")"
  kill -0 "$CTL_PID" 2>/dev/null || { echo "controller exited:"; tail -20 "$WORK/controller.err"; exit 1; }
  rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$CTL_PID/status")
  fds=$(ls "/proc/$CTL_PID/fd" | wc -l)
  syncs=$(curl -s "http://$(grep -o 'HTTP  http://[0-9.:]*' "$WORK/controller.out" | head -1 | cut -d/ -f3)/metrics" |
          awk '/^envctl_reconcile_total\{/ {s += $2} END {print s + 0}')
  printf '%8d %10.1f %5d %10d\n' $(($(date +%s) - start)) "$(echo "$rss_kb / 1024" | bc -l)" "$fds" "$syncs"
done
