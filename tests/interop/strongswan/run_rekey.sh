#!/usr/bin/env bash
# Rekey interoperability between tcpsec and strongSwan over UDP (ESP in
# UDP, as kernel-libipsec always uses it), directly or through a NAT.
# One side rekeys on short lifetimes while a ping runs through the tunnel
# at 5 echo requests per second, and the case checks that:
#
#   - at least two Child SA rekeys and one IKE SA rekey happened during the
#     ping. charon logs them ("CHILD_SA interop{N} established" for each new
#     Child SA, "IKE_SA interop[N] rekeyed"), and so does tcpsec. tcpsec's
#     status then shows IKE and ESP SPIs other than the first ones, equal
#     to the SPIs swanctl --list-sas shows, with packets counted on the
#     newest ESP SAs. Only one IKE SA and one Child SA remain on each side;
#   - at most IOP_REKEY_MAX_LOSS (default 2) echo requests got no reply.
#     RFC 7296 rekeys are make-before-break: the new pair is installed
#     before the old one is deleted, and tcpsec as rekey responder keeps
#     sending on the old pair until the new one has been used by the peer.
#     A packet already on the wire when its SA is deleted is still lost,
#     because UDP does not resend it, so a rekey may cost one echo request
#     or its reply;
#   - a 2 MB and a 1 MB bulk transfer after the rekeys arrive with equal
#     SHA-256;
#   - dead peer detection still works on the rekeyed IKE SA: the side that
#     does not rekey sends an empty INFORMATIONAL request once the tunnel
#     is idle, and the other side responds;
#   - the initiator's final Delete of the IKE SA gets a response and
#     removes the IKE SA on both sides;
#   - tshark decodes the capture of the whole run with the keys of every
#     IKE SA and ESP SA, from charon's log and from tcpsec's key log.
#
#   run_rekey.sh BUILD_DIR INITIATOR RESPONDER TOPOLOGY REKEYER PFS
#
#   BUILD_DIR  the CMake build folder (tcpsec-hub and tcpsec-spoke are
#              looked up in BUILD_DIR/examples/gateway)
#   INITIATOR, RESPONDER  tcpsec and strongswan, in either order
#   TOPOLOGY   direct or nat (the initiator behind an nftables masquerade)
#   REKEYER    strongswan: swanctl.conf rekeys the Child SA every 20 s and
#              the IKE SA after 50 s (rand_time 0), tcpsec keeps its default
#              lifetimes (12 h and 24 h);
#              tcpsec: keylifeseconds 120 and keylife 150 (the shortest
#              hard lifetimes tcpsec's configuration accepts) with the soft
#              lifetimes child-rekey 20 and ike-rekey 50 and no jitter,
#              while strongSwan rekeys only after an hour
#   PFS        pfs: the ESP proposals name the suite's DH group on both
#              sides (strongSwan "-ecp256", tcpsec "set pfs enable"), so
#              every Child SA rekey makes a new key exchange; nopfs: no
#              group in the ESP proposal, "set pfs disable"
#
# IOP_REKEY_SUITE selects the suite (default aes128gcm16-prfsha256-ecp256;
# see iop_suite in harness.sh). Exit 77 with "skipped: ..." when not root,
# when a tool or a tcpsec program is missing, or when tcpsec does not know
# or ignores a configuration keyword this case needs. IOP_KEEP_DIR=DIR
# keeps the work folder of a failed run under DIR.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: run_rekey.sh BUILD_DIR INITIATOR RESPONDER TOPOLOGY REKEYER PFS"
build=${1:?$usage}
initiator=${2:?$usage}
responder=${3:?$usage}
topology=${4:?$usage}
rekeyer=${5:?$usage}
pfs=${6:?$usage}
suite=${IOP_REKEY_SUITE:-aes128gcm16-prfsha256-ecp256}
max_loss=${IOP_REKEY_MAX_LOSS:-2}

# shellcheck source=harness.sh
. "$here/harness.sh"

case "$initiator-$responder" in
  strongswan-tcpsec | tcpsec-strongswan) ;;
  *) iop_fail "expected strongswan and tcpsec in either order, got $initiator and $responder" ;;
esac
case $rekeyer in
  strongswan | tcpsec) ;;
  *) iop_fail "unknown rekeyer '$rekeyer' (expected strongswan or tcpsec)" ;;
esac
case $pfs in
  pfs | nopfs) ;;
  *) iop_fail "unknown PFS variant '$pfs' (expected pfs or nopfs)" ;;
esac

iop_require
command -v python3 >/dev/null 2>&1 || iop_skip "python3 is not installed"
gateway_dir=$build/examples/gateway
if [ "$initiator" = tcpsec ] && [ ! -x "$gateway_dir/tcpsec-spoke" ]; then
  iop_skip "tcpsec-spoke was not built ($gateway_dir/tcpsec-spoke missing)"
fi
if [ "$responder" = tcpsec ] && [ ! -x "$gateway_dir/tcpsec-hub" ]; then
  iop_skip "tcpsec-hub was not built ($gateway_dir/tcpsec-hub missing)"
fi

iop_init
iop_suite "$suite"
iop_topology "$topology"
label="$initiator initiator -> $responder responder, $topology, $rekeyer rekeys, $pfs"
echo "case: $label ($suite)"

# ---- configuration -----------------------------------------------------

if [ "$pfs" = pfs ]; then
  IOP_TCPSEC_PFS=enable
else
  # Drop the DH group from the ESP proposal ("aes128gcm16-ecp256" becomes
  # "aes128gcm16").
  IOP_SS_ESP=${IOP_SS_ESP%-*}
  IOP_TCPSEC_PFS=disable
fi

# The side that does not rekey runs dead peer detection every 10 s of
# silence, so each side starts exchanges on the rekeyed IKE SA. Only one
# side can do it: a liveness check received also resets the receiver's own
# timer.
dpd_interval=10
case $rekeyer in
  strongswan)
    IOP_SS_CHILD_REKEY_TIME=20
    IOP_SS_CHILD_LIFE_TIME=40
    IOP_SS_IKE_REKEY_TIME=50
    IOP_SS_IKE_OVER_TIME=20
    IOP_TCPSEC_DPD=on-idle
    IOP_TCPSEC_DPD_INTERVAL=$dpd_interval
    # Two Child SA rekeys (20 s, 40 s) and the IKE SA rekey (50 s).
    rekey_deadline=100
    ;;
  tcpsec)
    IOP_TCPSEC_KEYLIFESECONDS=120
    IOP_TCPSEC_KEYLIFE=150
    IOP_TCPSEC_CHILD_REKEY=20
    IOP_TCPSEC_IKE_REKEY=50
    IOP_SS_CHILD_REKEY_TIME=3600
    IOP_SS_IKE_REKEY_TIME=3600
    IOP_SS_DPD_DELAY=$dpd_interval
    # Two Child SA rekeys (20 s, 40 s) and the IKE SA rekey (50 s).
    rekey_deadline=100
    ;;
esac

# Capture on the tcpsec side: its key log names the outer addresses as that
# side sees them.
if [ "$responder" = tcpsec ]; then
  capture_ns=$IOP_NS_RIGHT
  ss_dir=$IOP_WORK/left
else
  capture_ns=$IOP_NS_LEFT
  ss_dir=$IOP_WORK/right
fi
capture=$IOP_WORK/capture.pcap
iop_capture_start "$capture_ns" wan "$capture"

iop_start_peers "$initiator" "$responder" "$gateway_dir"
iop_tcpsec_check_notices "$IOP_TCPSEC_LOG" keylife keylifeseconds pfs dhgrp dpd \
  dpd-retryinterval
charon_log=$ss_dir/charon.log
iop_log "tunnel up"

# ---- reading the state of both sides -------------------------------------

# strongSwan's SAs from swanctl --list-sas --raw, one line each:
#   ike SPIi SPIr STATE       child SPI_IN SPI_OUT STATE
strongswan_sas() {
  iop_swanctl "$ss_dir" --list-sas --raw 2>/dev/null |
    grep -oE '(version=[0-9]+ |state=[A-Z_]+ |initiator-spi=[0-9a-f]+ |responder-spi=[0-9a-f]+ |spi-in=[0-9a-f]+ |spi-out=[0-9a-f]+ |child-sas \{)' |
    awk '
      /^version=/ { in_child = 0; next }
      /^child-sas/ { in_child = 1; next }
      /^state=/ { state = substr($1, 7); if (!in_child) ike_state = state; next }
      /^initiator-spi=/ { spi_i = substr($1, 15); next }
      /^responder-spi=/ { print "ike", spi_i, substr($1, 15), ike_state; next }
      /^spi-in=/ { spi_in = substr($1, 8); next }
      /^spi-out=/ { print "child", spi_in, substr($1, 9), state; next }'
}

# tcpsec's SAs from its status output, in the same form:
#   ike SPIi SPIr     child SPI_IN SPI_OUT PACKETS_IN PACKETS_OUT
tcpsec_sas() {
  awk '
    /^  id\/spi: / { split($2, s, "/"); print "ike", s[1], s[2] }
    /^  dec: spi=/ { spi_in = substr($2, 5); split($4, c, "[=/]"); packets_in = c[3] }
    /^  enc: spi=/ { split($4, c, "[=/]"); print "child", spi_in, substr($2, 5), packets_in, c[3] }' "$1"
}

# Rekeys so far in charon's log: "CHILD IKE", counting each new Child SA
# after the first and each "IKE_SA ... rekeyed" line.
charon_rekeys() {
  local children ike
  children=$(grep -oE 'CHILD_SA interop\{[0-9]+\} established with SPIs' "$charon_log" |
    sort -u | wc -l)
  ike=$(grep -cE 'IKE_SA interop\[[0-9]+\] rekeyed' "$charon_log")
  echo "$((children > 0 ? children - 1 : 0)) $ike"
}

# Rekeys so far in tcpsec's log: "CHILD IKE".
tcpsec_rekeys() {
  local children ike
  children=$(grep -cE 'Child SA [0-9a-f]+/[0-9a-f]+ established, replacing' "$IOP_TCPSEC_LOG")
  ike=$(grep -cE 'IKE SA rekeyed: now' "$IOP_TCPSEC_LOG")
  echo "$children $ike"
}

# Fail unless tcpsec and charon are still running.
require_peers_running() {
  local pid
  kill -0 "$IOP_TCPSEC_PID" 2>/dev/null ||
    iop_fail "$(basename "$IOP_TCPSEC_PROGRAM") exited: $(tail -5 "$IOP_TCPSEC_LOG")"
  for pid in $(pgrep -x charon); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
      grep -q "^STRONGSWAN_CONF=$ss_dir/" && return 0
  done
  iop_fail "charon exited: $(tail -5 "$ss_dir/charon.out")"
}

# ---- rekeys during a continuous ping -------------------------------------

iop_ping "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_RIGHT_INNER"
iop_tcpsec_status "$IOP_WORK/status-first.txt"
tcpsec_sas "$IOP_WORK/status-first.txt" >"$IOP_WORK/sas-first.txt"
strongswan_sas >>"$IOP_WORK/sas-first.txt"
first_ike_spi=$(awk '$1 == "ike" { print $2; exit }' "$IOP_WORK/sas-first.txt")
first_child_spi=$(awk '$1 == "child" { print $2; exit }' "$IOP_WORK/sas-first.txt")
[ -n "$first_ike_spi" ] && [ -n "$first_child_spi" ] ||
  iop_fail "no IKE SA or Child SA in tcpsec's status: $(cat "$IOP_WORK/status-first.txt")"
sed 's/^/first SAs: /' "$IOP_WORK/sas-first.txt"

iop_ping_start "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_RIGHT_INNER" "$IOP_WORK/ping.log"
started=$SECONDS
iop_log "ping running; waiting up to $rekey_deadline s for 2 Child SA rekeys and 1 IKE SA rekey"
# Every second: the rekey counts of both logs, and the SPIs of tcpsec's
# status, so that each Child SA shows up while it carries the ping.
: >"$IOP_WORK/sas-seen.txt"
while :; do
  require_peers_running
  kill -0 "$IOP_PING_PID" 2>/dev/null ||
    iop_fail "ping exited: $(tail -3 "$IOP_WORK/ping.log")"
  iop_tcpsec_status "$IOP_WORK/status-now.txt"
  tcpsec_sas "$IOP_WORK/status-now.txt" >>"$IOP_WORK/sas-seen.txt"
  read -r ss_child ss_ike <<<"$(charon_rekeys)"
  read -r ts_child ts_ike <<<"$(tcpsec_rekeys)"
  if [ "$ss_child" -ge 2 ] && [ "$ss_ike" -ge 1 ] &&
    [ "$ts_child" -ge 2 ] && [ "$ts_ike" -ge 1 ]; then
    break
  fi
  if [ $((SECONDS - started)) -ge "$rekey_deadline" ]; then
    iop_fail "after $rekey_deadline s charon logged $ss_child Child SA and $ss_ike IKE SA rekeys, tcpsec $ts_child and $ts_ike; expected at least 2 and 1 on each side"
  fi
  sleep 1
done
rekeys_at=$((SECONDS - started))
iop_log "rekeys complete after $rekeys_at s: charon $ss_child Child SA and $ss_ike IKE SA rekeys, tcpsec $ts_child and $ts_ike"

# Keep the ping running on the newest SAs for a while, so that the old
# pair's Delete is over and the new pair counts packets both ways.
sleep 4
iop_ping_stop
echo "ping: $IOP_PING_SENT echo requests up to the last one answered, $IOP_PING_LOST of them without reply${IOP_PING_LOST_LIST:+ (sequence@time:$IOP_PING_LOST_LIST)}"
[ "$IOP_PING_SENT" -ge $((rekeys_at * 4)) ] ||
  iop_fail "only $IOP_PING_SENT echo requests in $rekeys_at s; expected 5 per second"
[ "$IOP_PING_LOST" -le "$max_loss" ] ||
  iop_fail "$IOP_PING_LOST echo requests lost during the rekeys (at most $max_loss allowed):$IOP_PING_LOST_LIST"

# ---- proof of the rekeys --------------------------------------------------

echo "charon's rekey lines:"
grep -E 'CHILD_SA interop\{[0-9]+\} established with SPIs|IKE_SA interop\[[0-9]+\] rekeyed|closing CHILD_SA|deleting IKE_SA' \
  "$charon_log" | sed 's/^/  /'
echo "tcpsec's rekey lines:"
grep -E 'Child SA [0-9a-f]+/[0-9a-f]+ established|IKE SA rekeyed: now|IKE SA [0-9a-f]+ rekeyed' \
  "$IOP_TCPSEC_LOG" | cut -c1-200 | sed 's/^/  /'

# Old pairs are deleted right after each rekey, so a few seconds suffice.
settled() {
  iop_tcpsec_status "$IOP_WORK/status-last.txt"
  tcpsec_sas "$IOP_WORK/status-last.txt" >"$IOP_WORK/sas-last.txt"
  strongswan_sas >"$IOP_WORK/sas-last-strongswan.txt"
  [ "$(grep -c '^ike' "$IOP_WORK/sas-last.txt")" -eq 1 ] &&
    [ "$(grep -c '^child' "$IOP_WORK/sas-last.txt")" -eq 1 ] &&
    [ "$(grep -c '^ike' "$IOP_WORK/sas-last-strongswan.txt")" -eq 1 ] &&
    [ "$(grep -c '^child' "$IOP_WORK/sas-last-strongswan.txt")" -eq 1 ]
}
iop_wait_for 100 settled ||
  iop_fail "old SAs were not deleted: tcpsec has $(tr '\n' ';' <"$IOP_WORK/sas-last.txt"), strongSwan has $(tr '\n' ';' <"$IOP_WORK/sas-last-strongswan.txt")"
sed 's/^/tcpsec now: /' "$IOP_WORK/sas-last.txt"
sed 's/^/strongSwan now: /' "$IOP_WORK/sas-last-strongswan.txt"

read -r _ ike_i ike_r <"$IOP_WORK/sas-last.txt"
read -r _ child_in child_out packets_in packets_out < <(grep '^child' "$IOP_WORK/sas-last.txt")
[ "$ike_i" != "$first_ike_spi" ] ||
  iop_fail "tcpsec's IKE SA still has its first SPI $first_ike_spi"
[ "$child_in" != "$first_child_spi" ] ||
  iop_fail "tcpsec's Child SA still has its first inbound SPI $first_child_spi"
grep -q "^ike $ike_i $ike_r ESTABLISHED$" "$IOP_WORK/sas-last-strongswan.txt" ||
  iop_fail "tcpsec's IKE SA $ike_i/$ike_r is not strongSwan's: $(cat "$IOP_WORK/sas-last-strongswan.txt")"
grep -q "^child $child_out $child_in INSTALLED$" "$IOP_WORK/sas-last-strongswan.txt" ||
  iop_fail "tcpsec's Child SA (in $child_in, out $child_out) is not strongSwan's: $(cat "$IOP_WORK/sas-last-strongswan.txt")"
[ "${packets_in:-0}" -gt 0 ] && [ "${packets_out:-0}" -gt 0 ] ||
  iop_fail "the newest Child SA counts $packets_in packets in and $packets_out out; the ping should use it both ways"
seen=$(awk '$1 == "child" { print $2 }' "$IOP_WORK/sas-seen.txt" | sort -u | wc -l)
[ "$seen" -ge 3 ] ||
  iop_fail "tcpsec's status showed $seen inbound ESP SPIs during the ping; expected the first and two rekeyed ones"
echo "proved: $seen ESP SAs carried the ping in turn; IKE SPIs now $ike_i/$ike_r (first $first_ike_spi), ESP SPIs now $child_in/$child_out with $packets_in/$packets_out packets"

# ---- bulk transfer after the rekeys --------------------------------------

iop_bulk "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" 2000000 left-right
iop_bulk "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" "$IOP_NS_LEFT" "$IOP_LEFT_INNER" 1000000 right-left

# ---- dead peer detection on the rekeyed IKE SA ---------------------------

charon_mark=$(wc -l <"$charon_log")
tcpsec_mark=$(wc -l <"$IOP_TCPSEC_LOG")
if [ "$rekeyer" = strongswan ]; then
  # tcpsec sends the liveness check, charon responds.
  dpd_seen() {
    tail -n +"$charon_mark" "$charon_log" | grep -qE 'parsed INFORMATIONAL request [0-9]+ \[ \]' &&
      tail -n +"$charon_mark" "$charon_log" | grep -qE 'generating INFORMATIONAL response [0-9]+ \[ \]' &&
      tail -n +"$tcpsec_mark" "$IOP_TCPSEC_LOG" | grep -qE 'received INFORMATIONAL response #[0-9]+ \{ SK \{ \} \}'
  }
  dpd_sender=tcpsec
else
  dpd_seen() {
    tail -n +"$charon_mark" "$charon_log" | grep -q 'sending DPD request' &&
      tail -n +"$charon_mark" "$charon_log" | grep -qE 'parsed INFORMATIONAL response [0-9]+ \[ \]'
  }
  dpd_sender=strongSwan
fi
iop_wait_for $((dpd_interval * 30)) dpd_seen ||
  iop_fail "no answered $dpd_sender liveness check within $((dpd_interval * 3)) s of idle tunnel: $(tail -n +"$charon_mark" "$charon_log" | grep -E '\[(ENC|IKE)\]' | tail -6)"
echo "DPD on the rekeyed IKE SA, sent by $dpd_sender:"
tail -n +"$charon_mark" "$charon_log" | grep -E 'DPD|INFORMATIONAL (request|response) [0-9]+ \[ \]' |
  head -4 | sed 's/^/  charon: /'
tail -n +"$tcpsec_mark" "$IOP_TCPSEC_LOG" | grep -E 'INFORMATIONAL (request|response) #[0-9]+ \{ SK \{ \} \}' |
  head -2 | cut -c1-160 | sed 's/^/  tcpsec: /'

# ---- final Delete ------------------------------------------------------------

# --> INFORMATIONAL { D }: the initiator deletes the rekeyed IKE SA.
charon_mark=$(wc -l <"$charon_log")
case $initiator in
  strongswan)
    iop_swanctl "$ss_dir" --terminate --ike interop --timeout 10 \
      >"$IOP_WORK/terminate.log" 2>&1 ||
      iop_fail "strongSwan could not delete the IKE SA: $(tail -3 "$IOP_WORK/terminate.log")"
    tail -n +"$charon_mark" "$charon_log" | grep -qE 'parsed INFORMATIONAL response [0-9]+ \[ \]' ||
      iop_fail "tcpsec-hub did not respond to the Delete of the IKE SA: $(tail -n +"$charon_mark" "$charon_log" | grep -E '\[(ENC|IKE)\]' | tail -6)"
    hub_cleared() {
      iop_tcpsec_status "$IOP_WORK/status-deleted.txt"
      ! grep -q '^  id/spi: ' "$IOP_WORK/status-deleted.txt"
    }
    iop_wait_for 50 hub_cleared ||
      iop_fail "tcpsec-hub still lists the IKE SA after its Delete: $(cat "$IOP_WORK/status-deleted.txt")"
    ;;
  tcpsec)
    # tcpsec-spoke sends the Delete when it stops.
    iop_stop_pid "$IOP_TCPSEC_PID"
    iop_wait_for 50 sh -c "tail -n +$charon_mark '$charon_log' | grep -q 'IKE_SA deleted'" ||
      iop_fail "strongSwan did not delete the IKE SA after tcpsec-spoke stopped: $(tail -n +"$charon_mark" "$charon_log" | grep -E '\[(ENC|IKE)\]' | tail -6)"
    tail -n +"$charon_mark" "$charon_log" | grep -qE "received DELETE for IKE_SA interop\[[0-9]+\]" ||
      iop_fail "strongSwan deleted the IKE SA without tcpsec-spoke's Delete: $(tail -n +"$charon_mark" "$charon_log" | grep -E '\[(ENC|IKE)\]' | tail -6)"
    ;;
esac
iop_wait_for 50 sh -c "! STRONGSWAN_CONF='$ss_dir/strongswan.conf' swanctl --list-sas --raw 2>/dev/null | grep -q initiator-spi" ||
  iop_fail "strongSwan still has an IKE SA after the Delete"
echo "final Delete:"
tail -n +"$charon_mark" "$charon_log" | grep -E 'DELETE for IKE_SA|IKE_SA deleted|INFORMATIONAL (request|response) [0-9]+ \[ (D )?\]' |
  sed 's/^/  charon: /'

# ---- decoding the whole capture -------------------------------------------

iop_capture_stop "$capture"
# At least: IKE_SA_INIT and IKE_AUTH (4), two Child SA rekeys and one IKE
# SA rekey with the Deletes of the old SAs (12), the liveness check and the
# final Delete (4).
python3 "$here/verify_capture.py" --capture "$capture" --suite "$suite" \
  --min-ike 20 --min-esp 2000 --min-ike-sas 2 --min-esp-sas 6 \
  --pfs "$([ "$pfs" = pfs ] && echo yes || echo no)" --data-port "$IOP_BULK_PORT" "${IOP_VERIFY_ARGS[@]}" ||
  iop_fail "the capture did not decode as expected"

echo "passed: $label"
