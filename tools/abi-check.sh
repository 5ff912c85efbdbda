#!/usr/bin/env bash
# Compare the exported ABI of a built libtcpsec.so with the committed
# baseline in abi/. New functions pass; any change to a function or type
# that the baseline has fails, including compatible-looking ones such as a
# field appended to a size-versioned configuration struct, so that every
# change to existing ABI is a deliberate baseline update (docs/abi.md).
#
#   tools/abi-check.sh BUILD_DIR            check
#   tools/abi-check.sh BUILD_DIR --update   rewrite the baseline
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: abi-check.sh BUILD_DIR [--update]}
lib=$build/lib/libtcpsec.so
baseline=$top/abi/libtcpsec.abi

command -v abidw >/dev/null || { echo "abidw not found: install abigail-tools" >&2; exit 1; }
[ -f "$lib" ] || { echo "no $lib: build first" >&2; exit 1; }

current=$(mktemp)
trap 'rm -f "$current"' EXIT
abidw --no-corpus-path --headers-dir "$top/include/tcpsec" \
  --headers-dir "$build/include/tcpsec" --out-file "$current" "$lib"

if [ "${2:-}" = "--update" ]; then
  cp "$current" "$baseline"
  echo "ABI baseline updated: $baseline"
  exit 0
fi

set +e
abidiff --no-added-syms "$baseline" "$current"
status=$?
set -e
# abidiff's exit status is a bit field: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible ABI change.
if (( status & 3 )); then
  echo "FAIL: abidiff could not compare (status $status)" >&2
  exit 1
fi
if (( status & 12 )); then
  if (( status & 8 )); then
    echo "FAIL: incompatible ABI change against $baseline" >&2
  else
    echo "FAIL: change to existing ABI against $baseline" >&2
  fi
  echo "If the change is deliberate, read docs/abi.md, then run" >&2
  echo "  tools/abi-check.sh $build --update" >&2
  exit 1
fi
echo "ABI compatible with the baseline (abidiff status $status)"
