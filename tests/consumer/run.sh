#!/usr/bin/env bash
# Usage: run.sh BUILD_DIR SCRATCH_DIR CONSUMER_SOURCE_DIR
#
# Installs tcpsec from BUILD_DIR into SCRATCH_DIR/prefix, then builds and
# runs the consumer project with CMake's find_package and with pkg-config.
set -euo pipefail
build=$1 scratch=$2 src=$3
prefix=$scratch/prefix

rm -rf "$scratch"
mkdir -p "$scratch"
cmake --install "$build" --prefix "$prefix" >"$scratch/install.log"

libdir=$(find "$prefix" -name 'libtcpsec.so.*' -printf '%h\n' | head -n 1)
if [ -z "$libdir" ]; then
  echo "FAIL: libtcpsec.so.* not installed under $prefix" >&2
  exit 1
fi
soname=$(objdump -p "$libdir/libtcpsec.so" | awk '/SONAME/ {print $2}')
case "$soname" in
  libtcpsec.so.[0-9]*) echo "ok: SONAME $soname" ;;
  *) echo "FAIL: unexpected SONAME '$soname'" >&2; exit 1 ;;
esac

# find_package(tcpsec)
cmake -S "$src" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  >"$scratch/cmake-configure.log"
cmake --build "$scratch/cmake-build" >"$scratch/cmake-build.log"
LD_LIBRARY_PATH=$libdir "$scratch/cmake-build/consumer" | tee "$scratch/cmake.out"
LD_LIBRARY_PATH=$libdir "$scratch/cmake-build/consumer_static" \
  | tee "$scratch/cmake-static.out"

# pkg-config --cflags --libs tcpsec
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$scratch/consumer-pc" "$src/main.c" \
  $(pkg-config --cflags --libs tcpsec)
LD_LIBRARY_PATH=$libdir "$scratch/consumer-pc" | tee "$scratch/pc.out"

# The shared library must not export internal symbols.
bad=$(nm -D --defined-only "$libdir/libtcpsec.so" | awk '{print $3}' \
      | grep -v '^tcpsec_' | grep -v '^TCPSEC_' || true)
if [ -n "$bad" ]; then
  echo "FAIL: symbols exported without the tcpsec_ prefix:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "consumer builds: find_package, static, pkg-config"
echo "3 passed, 0 failed"
