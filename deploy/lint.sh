#!/usr/bin/env bash
# clang-format check (.clang-format at the repo root) over every tracked C++ file.
# Prints each file that differs and the fix command; exit 1 if any does.
#   deploy/lint.sh [clang-format binary]    (default: clang-format)
set -euo pipefail
cd "$(dirname "$0")/.."
fmt="${1:-clang-format}"
mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null || find . -name '*.cc' -o -name '*.h' | grep -v '^./build')
bad=()
for f in "${files[@]}"; do
  if ! "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if ((${#bad[@]})); then
  printf 'lint: not clang-formatted: %s\n' "${bad[@]}" >&2
  echo "lint: fix with: $fmt -i ${bad[*]}" >&2
  exit 1
fi
echo "lint: ${#files[@]} files clang-formatted"
