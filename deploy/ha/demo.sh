#!/usr/bin/env bash
# High-availability demo on one machine, loopback only: a 3-member etcd cluster, cloudsim,
# and 3 `envctl controller` replicas sharing examples/bikeshare through etcd. Shows who
# owns each environment, kill -9s the owner of "test", and shows another replica taking
# it over (and that the integration run is not repeated). Everything lives in a temp dir
# removed at exit.
#   deploy/ha/demo.sh [--keep] [--kills N]
#     --keep     leave the processes' logs in the temp dir
#     --kills N  then kill -9 the owner of "test" N times more (restarting each victim) and
#                print the take-over times' p50 and max: the HA benchmark
# Needs a build (make build) and etcd-server + etcd-client (deploy/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build}
keep=0
kills=0
while (($#)); do
  case $1 in
    --keep) keep=1 ;;
    --kills) kills=$2; shift ;;
    *) echo "demo: unknown option $1 (known: --keep, --kills N)" >&2; exit 2 ;;
  esac
  shift
done

for bin in "$BUILD/envctl" "$BUILD/cloudsim/cloudsim" /usr/bin/etcd /usr/bin/etcdctl; do
  [[ -x $bin ]] || { echo "demo: $bin missing (make build; deploy/install-deps.sh)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/envctl-ha-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((keep)); then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== etcd: 3 members on loopback"
declare -a CLIENT PEER
cluster=""
for i in 0 1 2; do
  CLIENT[$i]=$(free_port); PEER[$i]=$(free_port)
  cluster+="${cluster:+,}m$i=http://127.0.0.1:${PEER[$i]}"
done
for i in 0 1 2; do
  /usr/bin/etcd --name "m$i" --data-dir "$WORK/etcd-m$i" \
    --listen-client-urls "http://127.0.0.1:${CLIENT[$i]}" --advertise-client-urls "http://127.0.0.1:${CLIENT[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${PEER[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${PEER[$i]}" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token envctl-demo \
    >"$WORK/etcd-m$i.log" 2>&1 &
  pids+=($!)
done
ENDPOINTS="http://127.0.0.1:${CLIENT[0]},http://127.0.0.1:${CLIENT[1]},http://127.0.0.1:${CLIENT[2]}"
for _ in $(seq 100); do
  etcdctl --endpoints="$ENDPOINTS" endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
etcdctl --endpoints="$ENDPOINTS" endpoint health

echo "== cloudsim"
"$BUILD/cloudsim/cloudsim" --port 0 --state-dir "$WORK/cloudsim" --speed 20 >"$WORK/cloudsim.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -f $WORK/cloudsim/endpoints.json ]] && break; sleep 0.1; done
cp -r "$ROOT/examples/bikeshare" "$WORK/repo"

echo "== 3 envctl controller replicas (state.etcd)"
start_replica() {
  local r=$1
  "$BUILD/envctl" controller --config "$WORK/$r.yaml" --replica-id "$r" --log-format json \
    >>"$WORK/$r.out" 2>>"$WORK/$r.log" &
  pids+=($!)
  eval "PID_$r=$!"
}
for r in r0 r1 r2; do
  cat >"$WORK/$r.yaml" <<YAML
source:
  folder: $WORK/repo
  pollInterval: 1h
cloud: $WORK/cloudsim/endpoints.json
stateDir: $WORK/$r
state:
  etcd:
    endpoints: [${ENDPOINTS//,/, }]
    prefix: /envctl/bikeshare
grpc:
  listen: 127.0.0.1:0
http:
  listen: 127.0.0.1:0
YAML
  start_replica "$r"
done

owner() { etcdctl --endpoints="$ENDPOINTS" get --print-value-only "/envctl/bikeshare/owners/$1" 2>/dev/null; }
ADMIN=$(python3 -c "import json;print(json.load(open('$WORK/cloudsim/endpoints.json'))['admin_endpoint'])")
submits() {
  curl -sk "$ADMIN/requests" | python3 -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin)["requests"] if r.get("method") == "POST" and r.get("path", "").endswith("/jobs/runs/submit")))'
}
show() {
  "$BUILD/envctl" status --config "$WORK/r0.yaml" --json |
    python3 -c 'import json,sys
for e in json.load(sys.stdin)["environments"]:
    runs = e.get("runs", [])
    print("  %-5s owner %-3s revision %-12s last run %s" % (e["name"], e.get("owner") or "-", (e.get("syncedRevision") or "-")[:12], runs[0]["result"] if runs else "-"))'
}

echo "== waiting for dev and test to converge and pass their integration tests"
for _ in $(seq 600); do
  out=$("$BUILD/envctl" status --config "$WORK/r0.yaml" --json 2>/dev/null || true)
  if python3 -c 'import json,sys
d=json.loads(sys.argv[1]); es=d["environments"]
sys.exit(0 if len(es)==2 and all(e.get("owner") and e.get("runs") and e["runs"][0]["result"]=="RUN_RESULT_SUCCEEDED" for e in es) else 1)' "$out" 2>/dev/null; then break; fi
  sleep 0.5
done
show
before=$(submits)
echo "   notebook runs submitted so far: $before"

# Kills the owner of test; sets victim, new, took (owner changed) and synced (new owner
# finished a sync of test), in seconds since the kill.
kill_owner() {
  victim=$(owner test)
  local vpid
  eval "vpid=\$PID_$victim"
  declare -A mark
  for r in r0 r1 r2; do mark[$r]=$(wc -l <"$WORK/$r.log"); done
  local start
  start=$(date +%s.%N)
  kill -9 "$vpid"
  wait "$vpid" 2>/dev/null || true  # reaped quietly (no "Killed" job notice)
  new=""
  for _ in $(seq 300); do
    new=$(owner test)
    [[ -n $new && $new != "$victim" ]] && break
    sleep 0.1
  done
  took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
  for _ in $(seq 300); do
    tail -n +"$((mark[$new] + 1))" "$WORK/$new.log" | python3 -c 'import json,sys
sys.exit(0 if any(l.strip().startswith("{") and json.loads(l).get("event") == "sync_end" and json.loads(l).get("environment") == "test" for l in sys.stdin) else 1)' && break
    sleep 0.1
  done
  synced=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
}

echo "== kill -9 $(owner test), the owner of test"
kill_owner
echo "   test is owned by $new ${took}s after the kill (lease TTL 10 s); $new synced it after ${synced}s"
show
echo "   notebook runs submitted now: $(submits) (was $before: the run record came from etcd, nothing was rerun)"

if ((kills > 0)); then
  echo "== benchmark: $kills more kills of the owner of test (each victim restarted)"
  times=()
  synced_times=()
  start_replica "$victim"
  for i in $(seq "$kills"); do
    # Wait until all three replicas are members again.
    for _ in $(seq 100); do
      [[ $(etcdctl --endpoints="$ENDPOINTS" get --prefix --keys-only /envctl/bikeshare/members/ | grep -c .) -eq 3 ]] && break
      sleep 0.1
    done
    sleep 2  # let a rebalance settle
    kill_owner
    echo "   kill $i: $victim -> $new owns test after ${took}s, synced after ${synced}s"
    times+=("$took")
    synced_times+=("$synced")
    start_replica "$victim"
  done
  python3 -c 'import statistics,sys
n=len(sys.argv[1:])//2
t=sorted(float(x) for x in sys.argv[1:n+1])
s=sorted(float(x) for x in sys.argv[n+1:])
print("   take-over after kill -9 over %d kills: owner moved p50 %.1fs, max %.1fs; new owner synced test p50 %.1fs, max %.1fs (lease TTL 10 s)" % (len(t), statistics.median(t), t[-1], statistics.median(s), s[-1]))' "${times[@]}" "${synced_times[@]}"
fi
