#!/bin/bash
# Build the guest kernel (bzImage) for the espintcp interop test from
# Debian's linux-source-6.1 package: `make tinyconfig`, then kernel.config
# from this folder.
# Prints the path of the cached bzImage on stdout. A cached image whose key
# matches is reused without building.
#
# Needs: linux-source-6.1 gcc make flex bison bc libelf-dev libssl-dev xz-utils
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

key=$(espintcp_kernel_key)
out="$ESPINTCP_CACHE/kernel-$key"
if [ -f "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi

source_tar=/usr/src/linux-source-6.1.tar.xz
[ -f "$source_tar" ] || espintcp_die "$source_tar not found; install linux-source-6.1"

mkdir -p "$ESPINTCP_CACHE"
exec 9>"$ESPINTCP_CACHE/kernel.lock"
flock 9
# Another run may have finished the same kernel while this one waited.
if [ -f "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi

work="$ESPINTCP_CACHE/kernel-$key.work"
rm -rf "$work" "$out.tmp"
mkdir -p "$work" "$out.tmp"
trap 'rm -rf "$work" "$out.tmp"' EXIT

started=$(date +%s)
espintcp_log "building kernel $key in $work (a few minutes on 2 cores)"
tar -xf "$source_tar" -C "$work"
cd "$work/linux-source-6.1"

make -s ARCH=x86_64 tinyconfig >"$work/config.log" 2>&1
scripts/kconfig/merge_config.sh -m .config "$ESPINTCP_DIR/kernel.config" \
	>>"$work/config.log" 2>&1
make -s ARCH=x86_64 olddefconfig >>"$work/config.log" 2>&1

# olddefconfig silently drops a symbol whose dependencies are missing, so
# check that every line of the fragment is in the final configuration.
missing=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	if ! grep -qxF "$line" .config; then
		espintcp_log "kernel configuration lost $line (now: $(grep -E "^(# )?${line%%=*}[= ]" .config || echo absent))"
		missing=1
	fi
done <"$ESPINTCP_DIR/kernel.config"
[ "$missing" -eq 0 ] || espintcp_die "kernel configuration incomplete; see the lines above"

if ! make ARCH=x86_64 -j"$(nproc)" bzImage >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log" >&2
	espintcp_die "kernel build failed; the last lines of the build log are above"
fi

cp arch/x86/boot/bzImage .config "$out.tmp/"
mv "$out.tmp" "$out"
espintcp_log "kernel $key built in $(($(date +%s) - started)) s: $out/bzImage"
echo "$out/bzImage"
