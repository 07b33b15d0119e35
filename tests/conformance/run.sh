#!/usr/bin/env bash
# Runs one group of the conformance suite: the official Azure and Databricks SDKs for
# JavaScript, unmodified, against a fresh cloudsim on a temporary state dir.
#
#   ENVCTL_BIN=build/cmd/envctl/envctl tests/conformance/run.sh MODE
#
# MODE is a folder of *.test.js files: arm, keyvault, datafactory, databricks, restart,
# controller (envctl controller driven over gRPC, HTTP and webhooks); or azcli, the Debian
# `azure-cli` package driven by azcli/azcli.test.sh (needs `az`, not node).
#   databricks  re-executes itself in a private network namespace (unshare -n) and starts
#               cloudsim with --data-plane loopback-443, because the Databricks SDK drops the
#               port from its host: each workspace has to answer on 127.0.0.N:443.
#   restart     starts cloudsim once (so its CA exists before node starts), stops it, and
#               lets the tests stop and start cloudsim on the same state dir themselves.
# Exit codes: node's (0 = all passed), 77 = skipped because node or node_modules (for
# azcli: the az command) is missing,
# 1 = the harness could not run (no cloudsim, no network namespace).
set -euo pipefail

readonly SKIP=77
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=${1:-}
if [[ -z $mode || ! -d $here/$mode ]]; then
  echo "usage: $0 arm|keyvault|datafactory|databricks|restart|controller|azcli" >&2
  exit 2
fi

if [[ $mode == azcli ]]; then
  if ! command -v az >/dev/null 2>&1; then
    echo "SKIP: the Azure CLI (az) is not installed (deploy/install-deps.sh installs Debian's azure-cli)"
    exit "$SKIP"
  fi
elif ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (deploy/install-deps.sh installs it)"
  exit "$SKIP"
fi
if [[ $mode != azcli && ! -d $here/node_modules/@azure/identity || ! -d $here/node_modules/@databricks/sdk-experimental ]]; then
  echo "SKIP: $here/node_modules is missing; run 'npm ci' in tests/conformance (deploy/install-deps.sh does)"
  exit "$SKIP"
fi
if [[ -z ${ENVCTL_BIN:-} || ! -x $ENVCTL_BIN ]]; then
  echo "ENVCTL_BIN must name the envctl binary (got '${ENVCTL_BIN:-}')" >&2
  exit 1
fi

data_plane=ports
if [[ $mode == databricks ]]; then
  data_plane=loopback-443
  if [[ -z ${CONFORMANCE_IN_NETNS:-} ]]; then
    if ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
      echo "FAIL: MODE=databricks needs unshare(1) and ip(8) for a private network namespace" \
        "(workspaces listen on 127.0.0.N:443 because the Databricks SDK drops the port)" >&2
      exit 1
    fi
    if ! unshare -n true; then
      echo "FAIL: cannot create a network namespace with 'unshare -n' (needs root or" \
        "CAP_SYS_ADMIN); the Databricks SDK tests cannot run without one" >&2
      exit 1
    fi
    CONFORMANCE_IN_NETNS=1 exec unshare -n -- "$0" "$@"
  fi
  ip link set lo up
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/envctl-conformance-$mode.XXXXXX")
state=$work/state
log=$work/cloudsim.log
pid=

stop_cloudsim() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
cleanup() {
  local rc=$?
  stop_cloudsim
  if [[ $rc -ne 0 && -s $log ]]; then
    echo "--- last lines of the cloudsim log ---"
    tail -n 40 "$log"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# Starts cloudsim in the background and waits (at most 10 s) for endpoints.json, which
# cloudsim writes atomically once every listener accepts connections.
start_cloudsim() {
  rm -f "$state/endpoints.json"
  "$ENVCTL_BIN" cloudsim --port 0 --state-dir "$state" --data-plane "$data_plane" \
    --speed 1000 --page-size 2 >>"$log" 2>&1 &
  pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $state/endpoints.json ]] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "cloudsim exited before writing $state/endpoints.json" >&2
      pid=
      return 1
    fi
    sleep 0.1
  done
  echo "cloudsim did not write $state/endpoints.json within 10 s" >&2
  return 1
}

mkdir -p "$state"
start_cloudsim
export ENVCTL_BIN
export ENVCTL_ENDPOINTS=$state/endpoints.json
export NODE_EXTRA_CA_CERTS=$state/ca.pem
export CONFORMANCE_STATE_DIR=$state
export CONFORMANCE_DATA_PLANE=$data_plane
if [[ $mode == restart ]]; then
  stop_cloudsim
fi

cd "$here"
if [[ $mode == azcli ]]; then
  bash "$here/azcli/azcli.test.sh"
  exit $?
fi
shopt -s nullglob
files=("$mode"/*.test.js)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "no tests in $here/$mode" >&2
  exit 1
fi
node --test --test-concurrency=1 --test-timeout=240000 "${files[@]}"
