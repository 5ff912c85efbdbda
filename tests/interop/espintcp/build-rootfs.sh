#!/bin/bash
# Build the guest root file system for the espintcp interop test: Debian 12
# (bookworm) from `debootstrap --variant=minbase` with packages.list, plus
# guest-init as /sbin/tcpsec-guest-init, turned into an ext4 image with
# `mke2fs -d` (no loop mount). Prints the path of the cached image on stdout.
# A cached image whose key matches is reused without building.
#
# Needs: debootstrap e2fsprogs, and the Debian mirror in
# TCPSEC_ESPINTCP_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

mirror=${TCPSEC_ESPINTCP_MIRROR:-http://deb.debian.org/debian}
key=$(espintcp_rootfs_key)
out="$ESPINTCP_CACHE/rootfs-$key.ext4"
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$ESPINTCP_CACHE"
exec 9>"$ESPINTCP_CACHE/rootfs.lock"
flock 9
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

work="$ESPINTCP_CACHE/rootfs-$key.work"
rm -rf "$work" "$out.tmp"
mkdir -p "$work"
# debootstrap mounts /proc and /sys inside the tree while it installs; a
# failed run can leave them mounted, so unmount before removing the tree.
remove_work() {
	local mount
	for mount in $(findmnt -rn -o TARGET | grep -F "$work/" | sort -r); do
		umount -l "$mount" || true
	done
	rm -rf --one-file-system "$work" "$out.tmp"
}
trap remove_work EXIT

started=$(date +%s)
include=$(espintcp_packages | paste -sd, -)
espintcp_log "debootstrap bookworm with $include into $work/root"
if ! debootstrap --variant=minbase --include="$include" bookworm \
	"$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
	tail -n 30 "$work/debootstrap.log" >&2
	[ -f "$work/root/debootstrap/debootstrap.log" ] &&
		tail -n 30 "$work/root/debootstrap/debootstrap.log" >&2
	espintcp_die "debootstrap failed; the last lines of its log are above"
fi

root="$work/root"
install -m 0755 "$ESPINTCP_DIR/guest-init" "$root/sbin/tcpsec-guest-init"
mkdir -p "$root/mnt/share"
echo tcpsec-guest >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\ttcpsec-guest\n' >"$root/etc/hosts"
: >"$root/etc/fstab"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

# The image gets the tree plus 256 MiB of free space for whatever the guest
# writes outside /tmp and the share. The disk is opened with snapshot=on, so
# those writes never reach the cached file.
size_mb=$(($(du -sm "$root" | cut -f1) * 12 / 10 + 256))
mke2fs -q -F -t ext4 -L tcpsec-guest -d "$root" "$out.tmp" "${size_mb}M" >&2
mv "$out.tmp" "$out"
espintcp_log "root file system $key built in $(($(date +%s) - started)) s: $out (${size_mb} MiB)"
echo "$out"
