#!/usr/bin/env bash
# A proposal mismatch between strongSwan and tcpsec must not bring up a
# tunnel. The initiator is configured with aes128gcm16-prfsha256-ecp256
# only and the responder with aes256-sha256-ecp256 only: the same DH group,
# so only the encryption, integrity and PRF choice differ. The responder
# must respond to IKE_SA_INIT with NO_PROPOSAL_CHOSEN and no IKE SA may be
# established. This checks that each side offers and accepts what its
# configuration says, not a built-in default list.
#
#   run_mismatch.sh BUILD_DIR INITIATOR RESPONDER
#
# INITIATOR and RESPONDER are strongswan and tcpsec, in either order. Exit
# 77 with "skipped: ..." as run_case.sh does.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_mismatch.sh BUILD_DIR INITIATOR RESPONDER}
initiator=${2:?initiator missing}
responder=${3:?responder missing}
initiator_suite=aes128gcm16-prfsha256-ecp256
responder_suite=aes256-sha256-ecp256

# shellcheck source=harness.sh
. "$here/harness.sh"

case "$initiator-$responder" in
  strongswan-tcpsec | tcpsec-strongswan) ;;
  *) iop_fail "expected strongswan and tcpsec in either order, got $initiator and $responder" ;;
esac

iop_require
gateway_dir=$build/examples/gateway
if [ "$initiator" = tcpsec ] && [ ! -x "$gateway_dir/tcpsec-spoke" ]; then
  iop_skip "tcpsec-spoke was not built ($gateway_dir/tcpsec-spoke missing)"
fi
if [ "$responder" = tcpsec ] && [ ! -x "$gateway_dir/tcpsec-hub" ]; then
  iop_skip "tcpsec-hub was not built ($gateway_dir/tcpsec-hub missing)"
fi

iop_init
iop_topology direct
echo "case: $initiator initiator ($initiator_suite) -> $responder responder ($responder_suite)"
mkdir -p "$IOP_WORK/left" "$IOP_WORK/right"

# <-- responder: the aes256-sha256-ecp384 suite moved to group 19
iop_suite aes256-sha256-ecp384
IOP_SS_IKE=$responder_suite
IOP_SS_ESP=$responder_suite
IOP_FOS_DH=19
if [ "$responder" = strongswan ]; then
  iop_inner_address "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER"
  iop_strongswan_config "$IOP_WORK/right" responder "$IOP_RIGHT_OUTER" "" \
    "$IOP_RIGHT_LAN" "$IOP_LEFT_LAN"
  iop_strongswan_start "$IOP_NS_RIGHT" "$IOP_WORK/right"
  charon_dir=$IOP_WORK/right
else
  iop_tcpsec_config "$IOP_WORK/right/hub.conf" responder "$IOP_RIGHT_OUTER" "" \
    "$IOP_RIGHT_LAN" "$IOP_LEFT_LAN" "$IOP_RIGHT_INNER" "$IOP_WORK/right/control.sock"
  iop_tcpsec_start "$IOP_NS_RIGHT" "$gateway_dir/tcpsec-hub" "$IOP_WORK/right/hub.conf" \
    "$IOP_WORK/right/keylog" "$IOP_WORK/right/tcpsec.log"
fi

# --> initiator: IKE_SA_INIT with a proposal the responder is not configured for
iop_suite "$initiator_suite"
if [ "$initiator" = strongswan ]; then
  iop_inner_address "$IOP_NS_LEFT" "$IOP_LEFT_INNER"
  iop_strongswan_config "$IOP_WORK/left" initiator "$IOP_LEFT_OUTER" "$IOP_RIGHT_OUTER" \
    "$IOP_LEFT_LAN" "$IOP_RIGHT_LAN"
  iop_strongswan_start "$IOP_NS_LEFT" "$IOP_WORK/left"
  charon_dir=$IOP_WORK/left
  if iop_swanctl "$charon_dir" --initiate --child interop --timeout 15 \
    >"$IOP_WORK/initiate.log" 2>&1; then
    iop_fail "strongSwan established a tunnel although the proposals do not match"
  fi
  grep -q "received NO_PROPOSAL_CHOSEN" "$charon_dir/charon.log" ||
    iop_fail "tcpsec-hub did not respond with NO_PROPOSAL_CHOSEN: $(grep -E '\[(NET|ENC|IKE)\]' "$charon_dir/charon.log" | grep -Ev ' [0-9]+: ' | tail -8)"
else
  iop_tcpsec_config "$IOP_WORK/left/spoke.conf" initiator "$IOP_LEFT_OUTER" "$IOP_RIGHT_OUTER" \
    "$IOP_LEFT_LAN" "$IOP_RIGHT_LAN" "$IOP_LEFT_INNER" "$IOP_WORK/left/control.sock"
  iop_tcpsec_start "$IOP_NS_LEFT" "$gateway_dir/tcpsec-spoke" "$IOP_WORK/left/spoke.conf" \
    "$IOP_WORK/left/keylog" "$IOP_WORK/left/tcpsec.log"
  iop_wait_for 100 grep -q "received proposals unacceptable" "$charon_dir/charon.log" ||
    iop_fail "strongSwan did not reject tcpsec-spoke's proposals: $(grep -E 'received proposals|selected proposal' "$charon_dir/charon.log" | tail -3)"
fi

# Give a late success time to show up, then make sure there is none.
sleep 1
if iop_swanctl "$charon_dir" --list-sas --raw 2>/dev/null | grep -q "state=ESTABLISHED"; then
  iop_fail "an IKE SA was established although the proposals do not match"
fi
echo "passed: $initiator initiator -> $responder responder, proposal mismatch rejected"
