#!/bin/bash
# Test driver inside the espintcp guest, started by /sbin/tcpsec-guest-init
# with the 9p share as $1. Runs every case of the table below whose name
# matches $CASES (an extended regular expression from the share's params
# file), one at a time, each with a time limit, and writes one line per case
# to results/summary.txt:
#   PASS|FAIL|SKIP <case> <seconds>s [reason]
set -u

SHARE=$1
GUEST_DIR=$SHARE/guest
RESULTS=$SHARE/results
export SHARE GUEST_DIR

CASES=.
CASE_TIMEOUT=420
# shellcheck source=/dev/null
[ -f "$SHARE/params" ] && . "$SHARE/params"
export BULK_BYTES PLUTO_DEBUG 2>/dev/null

# name                   function and arguments
CASE_TABLE="
pluto-pluto-direct       case_pluto_pluto direct
pluto-pluto-nat          case_pluto_pluto nat
spoke-to-pluto-direct    case_spoke_to_pluto direct
spoke-to-pluto-nat       case_spoke_to_pluto nat
pluto-to-hub-direct      case_pluto_to_hub direct
pluto-to-hub-nat         case_pluto_to_hub nat
dpd-spoke                case_dpd
reset-spoke              case_reset spoke
reset-hub                case_reset hub
rekey-child              case_rekey ipsec
rekey-ike                case_rekey ike
tcpsec-rekey-pfs         case_tcpsec_rekey enable
tcpsec-rekey-nopfs       case_tcpsec_rekey disable
"

# End every process the case started (by the ids it recorded, then any
# left in its namespaces) and remove the namespaces.
cleanup_case() {
	local dir=$1 pid ns pcap
	if [ -f "$dir/pids" ]; then
		while read -r pid; do
			kill -TERM "$pid" 2>/dev/null
		done <"$dir/pids"
		sleep 1
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done <"$dir/pids"
	fi
	for ns in west east nat; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns delete "$ns"
	done
	for pcap in /tmp/capture-*.pcap; do
		[ -f "$pcap" ] && mv "$pcap" "$dir/${pcap#/tmp/capture-}"
	done
	rm -rf /tmp/pluto-*
	rm -f /run/tcpsec-*.sock /run/tcpsec-*.pid
}

echo "guest: $(uname -r), $(ipsec --version 2>&1 | head -n1)"
echo "guest: cases matching '$CASES'"
if [ -x "$SHARE/bin/tcpsec-spoke" ]; then
	echo "guest: tcpsec programs present"
	LD_LIBRARY_PATH="$SHARE/bin" ldd "$SHARE/bin/tcpsec-spoke" | grep "not found" &&
		echo "guest: tcpsec-spoke is missing libraries in the guest"
else
	echo "guest: tcpsec programs absent; their cases will be skipped"
fi

mkdir -p "$RESULTS/cases"
: >"$RESULTS/summary.txt"
echo "$CASE_TABLE" | while read -r name func args; do
	[ -n "$name" ] || continue
	echo "$name" | grep -qE "$CASES" || continue
	dir=$RESULTS/cases/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "guest: case $name"
	started=$SECONDS
	# shellcheck disable=SC2086
	timeout -k 10 "$CASE_TIMEOUT" bash "$GUEST_DIR/run-case.sh" "$dir" $func $args \
		>"$dir/log" 2>&1 </dev/null
	rc=$?
	elapsed=$((SECONDS - started))
	cleanup_case "$dir"
	case $rc in
	0)
		detail=$(cat "$dir/pass-detail" 2>/dev/null)
		line="PASS $name ${elapsed}s${detail:+ $detail}"
		;;
	77) line="SKIP $name ${elapsed}s $(cat "$dir/skip-reason" 2>/dev/null)" ;;
	124 | 137) line="FAIL $name ${elapsed}s timed out after ${CASE_TIMEOUT} s" ;;
	*) line="FAIL $name ${elapsed}s $(cat "$dir/fail-reason" 2>/dev/null || echo "exit status $rc")" ;;
	esac
	echo "guest: $line"
	echo "$line" >>"$RESULTS/summary.txt"
done
echo "guest: done"
