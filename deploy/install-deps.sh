#!/usr/bin/env bash
# Installs what envctl needs to build and test, only what is missing.
# Idempotent: a second run on a ready machine does no network I/O for apt.
# Debian packages via apt-get (one update first), test-only npm packages via `npm ci`.
# clang and libclang-rt-dev (the sanitizer and libFuzzer runtimes, libclang_rt.fuzzer*.a,
# only a Recommends of clang, which --no-install-recommends skips) are for `make fuzz`
# and `make thread-safety`.
#   --no-npm   system packages only (image builds that do not run the test suite)
set -euo pipefail

with_npm=1
for arg in "$@"; do
  case $arg in
    --no-npm) with_npm=0 ;;
    *) echo "install-deps: unknown option $arg (known: --no-npm)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git openssl iproute2 clang-format
  clang libclang-rt-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libcpprest-dev libboost-dev nlohmann-json3-dev prometheus-cpp-dev
  libyaml-cpp-dev libyaml-dev libgit2-dev libssl-dev libspdlog-dev
  libgtest-dev libgmock-dev prometheus
  etcd-server etcd-client
  azure-cli
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: system packages present"
fi

# npm packages for the SDK conformance tests (official Azure and Databricks SDKs).
if ((with_npm)) && [[ -f tests/conformance/package-lock.json ]]; then
  if [[ ! -d tests/conformance/node_modules ]] ||
     [[ tests/conformance/package-lock.json -nt tests/conformance/node_modules/.package-lock.json ]]; then
    echo "install-deps: npm ci (tests/conformance)"
    (cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "install-deps: npm packages present"
  fi
fi
