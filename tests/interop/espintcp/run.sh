#!/bin/bash
# RFC 9329 interoperability of tcpsec with Libreswan on a Linux kernel with
# espintcp, inside a qemu guest with no network device.
#
#   run.sh BUILD_DIR [WORK_DIR]
#
# BUILD_DIR is tcpsec's CMake build tree (examples/gateway/tcpsec-hub and
# -spoke, lib/libtcpsec.so*, examples/tcpsec-decode/tcpsec-decode). WORK_DIR
# (default BUILD_DIR/espintcp) receives the 9p share with the results: one
# folder per case under results/cases with logs, captures and key logs.
#
# Environment:
#   TCPSEC_SKIP_VM=1              skip (exit 77)
#   TCPSEC_ESPINTCP_CACHE         kernel and image cache (/var/cache/tcpsec-espintcp)
#   TCPSEC_ESPINTCP_MIRROR        Debian mirror for debootstrap
#   TCPSEC_ESPINTCP_CASES         extended regex of case names to run
#                                 (default: the core cases below, or every
#                                 case with TCPSEC_FULL_INTEROP=1)
#   TCPSEC_ESPINTCP_VM_TIMEOUT    seconds before qemu is killed (3000)
#   TCPSEC_ESPINTCP_CASE_TIMEOUT  seconds per case inside the guest (420)
#   TCPSEC_ESPINTCP_BULK_BYTES    bytes of each bulk transfer (4194304)
#   TCPSEC_ESPINTCP_PLUTO_DEBUG   pluto's plutodebug setting (none)
#
# Exit status: 0 every case passed or was skipped, 1 a case failed or the
# guest did not report, 77 the test cannot run here.
set -uo pipefail

# The cases of the default test suite: both roles, direct and through NAT,
# DPD, a TCP reset, and rekeys started by either side. They take about
# 5 minutes in the guest; all 13 cases take about 10.
core_cases='^(spoke-to-pluto-nat|pluto-to-hub-direct|dpd-spoke|reset-spoke|rekey-ike|tcpsec-rekey-pfs)$'
if [ -n "${TCPSEC_ESPINTCP_CASES:-}" ]; then
	cases=$TCPSEC_ESPINTCP_CASES
elif [ "${TCPSEC_FULL_INTEROP:-0}" = 1 ]; then
	cases=.
else
	cases=$core_cases
fi

. "$(dirname "${BASH_SOURCE[0]}")/host-lib.sh"

skip() {
	echo "skipped: $*"
	exit 77
}

[ $# -ge 1 ] || espintcp_die "usage: run.sh BUILD_DIR [WORK_DIR]"
build=$(cd "$1" && pwd) || espintcp_die "build directory $1 not found"
work=${2:-$build/espintcp}

[ "${TCPSEC_SKIP_VM:-0}" = 1 ] && skip "TCPSEC_SKIP_VM=1"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, apt-get, cache in $ESPINTCP_CACHE)"

# ---- host packages -----------------------------------------------------------

# Packages needed to run the guest, and to build the kernel and the image
# when they are not cached yet.
run_packages="qemu-system-x86 e2fsprogs coreutils util-linux"
build_packages="debootstrap linux-source-6.1 gcc make flex bison bc libelf-dev libssl-dev xz-utils"

missing_packages() {
	local pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
			grep -q "install ok installed" || echo "$pkg"
	done
}

kernel_cached=no rootfs_cached=no
[ -f "$ESPINTCP_CACHE/kernel-$(espintcp_kernel_key)/bzImage" ] && kernel_cached=yes
[ -f "$ESPINTCP_CACHE/rootfs-$(espintcp_rootfs_key).ext4" ] && rootfs_cached=yes
wanted=$run_packages
[ "$kernel_cached$rootfs_cached" = yesyes ] || wanted="$wanted $build_packages"
# shellcheck disable=SC2086
missing=$(missing_packages $wanted | paste -sd' ' -)
if [ -n "$missing" ]; then
	espintcp_log "installing $missing"
	if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing; } \
		>"/tmp/espintcp-apt.$$.log" 2>&1; then
		tail -n 5 "/tmp/espintcp-apt.$$.log"
		rm -f "/tmp/espintcp-apt.$$.log"
		skip "cannot install $missing with apt-get"
	fi
	rm -f "/tmp/espintcp-apt.$$.log"
fi
# The kernel key includes linux-source-6.1's version, known only now.
[ -f "$ESPINTCP_CACHE/kernel-$(espintcp_kernel_key)/bzImage" ] && kernel_cached=yes

# ---- kernel and root file system (cached) ------------------------------------

# A cold build needs about 2 GB for the unpacked kernel source and the
# image tree (an estimate from the runs in docs/espintcp.md).
if [ "$kernel_cached$rootfs_cached" != yesyes ]; then
	mkdir -p "$ESPINTCP_CACHE"
	free_mb=$(df -Pm "$ESPINTCP_CACHE" | awk 'NR == 2 { print $4 }')
	[ "${free_mb:-0}" -ge 3072 ] ||
		skip "only ${free_mb:-0} MB free in $ESPINTCP_CACHE, and building the guest needs 3072 MB; point TCPSEC_ESPINTCP_CACHE at a larger disk"
fi

# The image is mostly downloads and the kernel mostly compilation, so the
# two are built at the same time.
mkdir -p "$work"
started=$(date +%s)
"$ESPINTCP_DIR/build-rootfs.sh" >"$work/rootfs.path" &
rootfs_pid=$!
kernel=$("$ESPINTCP_DIR/build-kernel.sh") || {
	wait "$rootfs_pid"
	espintcp_die "building the guest kernel failed"
}
kernel_s=$(($(date +%s) - started))
wait "$rootfs_pid" || espintcp_die "building the guest root file system failed"
rootfs=$(cat "$work/rootfs.path")
ready_s=$(($(date +%s) - started))
espintcp_log "kernel: $kernel (ready after $kernel_s s, cached before: $kernel_cached)"
espintcp_log "root file system: $rootfs (both ready after $ready_s s, cached before: $rootfs_cached)"

# ---- the share ------------------------------------------------------------------

share=$work/share
rm -rf "$share"
mkdir -p "$share/bin" "$share/guest" "$share/results"
cp "$ESPINTCP_DIR"/guest/* "$share/guest/"

gateway=$build/examples/gateway
if [ -x "$gateway/tcpsec-hub" ] && [ -x "$gateway/tcpsec-spoke" ]; then
	cp "$gateway/tcpsec-hub" "$gateway/tcpsec-spoke" "$share/bin/"
	cp -P "$build"/lib/libtcpsec.so* "$share/bin/"
	espintcp_log "tcpsec programs from $gateway"
else
	espintcp_log "tcpsec programs not built in $gateway: their cases will be skipped"
fi

{
	printf 'CASES=%q\n' "$cases"
	printf 'CASE_TIMEOUT=%q\n' "${TCPSEC_ESPINTCP_CASE_TIMEOUT:-420}"
	printf 'BULK_BYTES=%q\n' "${TCPSEC_ESPINTCP_BULK_BYTES:-4194304}"
	printf 'PLUTO_DEBUG=%q\n' "${TCPSEC_ESPINTCP_PLUTO_DEBUG:-none}"
} >"$share/params"

# ---- boot ---------------------------------------------------------------------

qemu_pid=
cleanup() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		espintcp_log "stopping qemu (pid $qemu_pid)"
		kill -TERM "$qemu_pid" 2>/dev/null
		sleep 2
		kill -KILL "$qemu_pid" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vm_timeout=${TCPSEC_ESPINTCP_VM_TIMEOUT:-3000}
console=$share/results/console.log
espintcp_log "booting the guest (TCG, no network device, time limit $vm_timeout s)"
started=$(date +%s)
# TCG emulation, because the CI machines' /dev/kvm does not run this guest:
# there, qemu 7.2 with -accel kvm aborts with "failed to set MSR 0x10a".
qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
	-nic none -no-reboot -display none -monitor none \
	-serial "file:$console" \
	-kernel "$kernel" \
	-append "console=ttyS0 root=/dev/vda rw init=/sbin/tcpsec-guest-init panic=-1" \
	-drive "file=$rootfs,if=virtio,format=raw,snapshot=on" \
	-virtfs "local,path=$share,mount_tag=tcpsec,security_model=none,id=share" \
	-device virtio-rng-pci \
	</dev/null >"$share/results/qemu.log" 2>&1 &
qemu_pid=$!

timed_out=no
deadline=$((started + vm_timeout))
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		timed_out=yes
		espintcp_log "guest still running after $vm_timeout s: killing qemu"
		cleanup
		break
	fi
	sleep 2
done
wait "$qemu_pid" 2>/dev/null
qemu_pid=
vm_s=$(($(date +%s) - started))
espintcp_log "guest ran $vm_s s"

# ---- results -------------------------------------------------------------------

results=$share/results
summary=$results/summary.txt
if [ "$timed_out" = yes ] || [ ! -f "$results/guest.rc" ]; then
	echo "FAIL: the guest did not finish (timed out: $timed_out); last console lines:"
	tail -n 30 "$console" 2>/dev/null
	[ -f "$results/guest.log" ] && tail -n 30 "$results/guest.log"
	[ -f "$summary" ] && cat "$summary"
	exit 1
fi

# Decode the captures on the host: IKETCP prefix and framing with tshark,
# every IKE message with tcpsec-decode, and tshark with tcpsec's Lua
# dissector when the source tree has one.
python3 "$ESPINTCP_DIR/check-captures.py" --build "$build" \
	--source "$ESPINTCP_DIR/../../.." --port 4500 "$results/cases" \
	>>"$summary" 2>"$results/check-captures.log"
checker_rc=$?
if [ "$checker_rc" -ne 0 ]; then
	echo "FAIL check-captures exited with $checker_rc" >>"$summary"
	cat "$results/check-captures.log" >&2
fi

echo "espintcp results in $results (kernel ${kernel_s}s, kernel and image ${ready_s}s, guest ${vm_s}s)"
cat "$summary"
passed=$(grep -c '^PASS' "$summary")
failed=$(grep -c '^FAIL' "$summary")
skipped=$(grep -c '^SKIP' "$summary")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
