#!/usr/bin/env bash
# clang-format check (.clang-format at the repo root) over every tracked C++ file.
# Prints each file that differs and the fix command; exit 1 if any does.
#   deploy/lint.sh [clang-format binary]    (default: clang-format)
set -euo pipefail
cd "$(dirname "$0")/.."
fmt="${1:-clang-format}"
command -v "$fmt" >/dev/null || { echo "lint: $fmt not found (deploy/install-deps.sh installs it)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cc' '*.h')
# Batches of 40 files over the cores; clang-format names each unformatted file in its errors.
out=$(printf '%s\n' "${files[@]}" | xargs -d '\n' -n 40 -P "$(nproc)" "$fmt" --dry-run -Werror 2>&1 || true)
mapfile -t bad < <(grep -o '^[^:]*\.\(cc\|h\):[0-9]*:[0-9]*: error' <<<"$out" | cut -d: -f1 | sort -u)
if ((${#bad[@]})); then
  printf 'lint: not clang-formatted: %s\n' "${bad[@]}" >&2
  echo "lint: fix with: $fmt -i ${bad[*]}" >&2
  exit 1
fi
if grep -q . <<<"$out"; then echo "$out" >&2; exit 1; fi
echo "lint: ${#files[@]} files clang-formatted"
