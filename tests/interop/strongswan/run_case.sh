#!/usr/bin/env bash
# One strongSwan interoperability case: an IKEv2 tunnel with PSK between an
# initiator on the left and a responder on the right, directly or through a
# NAT. Each side is either strongSwan (charon with kernel-libipsec) or
# tcpsec (tcpsec-spoke as initiator, tcpsec-hub as responder, transport
# udp).
#
#   run_case.sh BUILD_DIR SUITE INITIATOR RESPONDER TOPOLOGY
#
#   BUILD_DIR  the CMake build folder (tcpsec-hub and tcpsec-spoke are
#              looked up in BUILD_DIR/examples/gateway)
#   SUITE      aes128gcm16-prfsha256-ecp256, aes256-sha256-ecp384,
#              chacha20poly1305-prfsha256-x25519 or aes128-sha256-modp2048
#   INITIATOR, RESPONDER  strongswan or tcpsec
#   TOPOLOGY   direct or nat (the initiator behind an nftables masquerade)
#
# The case passes when the tunnel comes up, ping works both ways, and a bulk
# transfer in each direction arrives with the same SHA-256. tshark must
# also decode the captured UDP traffic as verify_capture.py requires, once
# with the keys strongSwan logged and once with tcpsec's key log.
#
# Exit 77 with "skipped: ..." when not root, when strongSwan, tshark or
# another tool is missing, or when a tcpsec program was not built.
# IOP_KEEP_DIR=DIR keeps the work folder of a failed run (logs, capture,
# configurations) under DIR.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_case.sh BUILD_DIR SUITE INITIATOR RESPONDER TOPOLOGY}
suite=${2:?suite missing}
initiator=${3:?initiator missing}
responder=${4:?responder missing}
topology=${5:?topology missing}

# shellcheck source=harness.sh
. "$here/harness.sh"

for side in "$initiator" "$responder"; do
  case $side in
    strongswan | tcpsec) ;;
    *) iop_fail "unknown implementation '$side' (expected strongswan or tcpsec)" ;;
  esac
done

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
echo "case: $suite, $initiator initiator -> $responder responder, $topology"

# Capture where tcpsec's key log addresses are valid: tcpsec writes the
# outer addresses as seen from its own side, and a NAT changes them.
if [ "$responder" = tcpsec ] || [ "$initiator" != tcpsec ]; then
  capture_ns=$IOP_NS_RIGHT
else
  capture_ns=$IOP_NS_LEFT
fi
capture=$IOP_WORK/capture.pcap
iop_capture_start "$capture_ns" wan "$capture"

iop_start_peers "$initiator" "$responder" "$gateway_dir"
iop_log "tunnel up"

if [ -n "$IOP_TCPSEC_PROGRAM" ]; then
  iop_tcpsec_status "$IOP_WORK/status.txt"
  sed 's/^/status: /' "$IOP_WORK/status.txt"
fi

iop_ping "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_RIGHT_INNER"
iop_ping "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" "$IOP_LEFT_INNER"
iop_log "ping passed both ways"
iop_bulk "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" 3000000 left-right
iop_bulk "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" "$IOP_NS_LEFT" "$IOP_LEFT_INNER" 1000000 right-left

# --> INFORMATIONAL { D }: the initiator deletes the IKE SA, so the capture
# also contains an encrypted INFORMATIONAL exchange.
case $initiator in
  strongswan)
    iop_swanctl "$IOP_WORK/left" --terminate --ike interop --timeout 10 \
      >"$IOP_WORK/terminate.log" 2>&1 ||
      iop_fail "strongSwan could not delete the IKE SA: $(tail -3 "$IOP_WORK/terminate.log")"
    ;;
  tcpsec)
    iop_stop_pid "$IOP_TCPSEC_PID"
    ;;
esac
iop_capture_stop "$capture"

python3 "$here/verify_capture.py" --capture "$capture" --suite "$suite" \
  --min-ike 6 --min-esp 2000 --data-port "$IOP_BULK_PORT" "${IOP_VERIFY_ARGS[@]}" ||
  iop_fail "the capture did not decode as expected"

# The checks must be able to fail: the same capture decoded with one bit of
# every ESP key flipped must be reported as bad ICVs. Only with strongSwan
# on both sides, where it costs one more decode.
if [ "$initiator" = strongswan ] && [ "$responder" = strongswan ] &&
  [ "$suite" != chacha20poly1305-prfsha256-x25519 ]; then
  if python3 "$here/verify_capture.py" --capture "$capture" --suite "$suite" \
    --charon-log "$IOP_WORK/left/charon.log:initiator" --flip-esp-keys \
    --data-port "$IOP_BULK_PORT" \
    >"$IOP_WORK/negative.txt"; then
    iop_fail "verification passed with corrupted ESP keys"
  fi
  grep -q "ESP packets without a good ICV" "$IOP_WORK/negative.txt" ||
    iop_fail "corrupted ESP keys were not reported as bad ICVs: $(cat "$IOP_WORK/negative.txt")"
  iop_log "corrupted ESP keys are reported as bad ICVs"
fi
echo "passed: $suite, $initiator initiator -> $responder responder, $topology"
