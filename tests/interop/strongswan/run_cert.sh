#!/usr/bin/env bash
# One certificate interoperability case between tcpsec and strongSwan: an
# IKEv2 tunnel whose ends authenticate with X.509 certificates and RFC 7427
# digital signatures, over UDP in the "direct" topology of harness.sh. The
# certificates are made with openssl when the case runs (cert.sh).
#
#   run_cert.sh BUILD_DIR CASE INITIATOR RESPONDER
#
#   BUILD_DIR  the CMake build folder (tcpsec-hub and tcpsec-spoke are
#              looked up in BUILD_DIR/examples/gateway)
#   CASE       ecdsa                 both ends sign with ECDSA P-256 keys
#              rsa                   both ends sign with RSA-2048 keys
#              reject-by-tcpsec      strongSwan's certificate comes from a
#                                    CA tcpsec does not trust
#              reject-by-strongswan  tcpsec's certificate comes from a CA
#                                    strongSwan does not trust
#   INITIATOR, RESPONDER  tcpsec and strongswan, in either order; tcpsec
#              runs as tcpsec-spoke when it initiates and as tcpsec-hub
#              when it responds
#
# ecdsa and rsa pass when the tunnel comes up, ping works both ways, and
# each side shows the other's certificate identity as authenticated. The
# logs must also show that strongSwan verified tcpsec's signature and that
# tcpsec signed and verified with AUTH method 14 (RFC 7427). tcpsec signs RSA with
# RSASSA-PSS as initiator and with PKCS#1 v1.5 as responder; strongSwan
# signs with PKCS#1 v1.5.
#
# The reject cases pass when the side that must reject the certificate
# says so (tcpsec: CERT_UNTRUSTED, strongSwan: its "no trusted ... public
# key" line), its peer learns AUTHENTICATION_FAILED, and no Child SA is
# installed on either side.
#
# Exit 77 with "skipped: ..." when not root, when strongSwan or openssl is
# missing, or when a tcpsec program was not built. IOP_KEEP_DIR=DIR keeps
# the work folder of a failed run under DIR.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_cert.sh BUILD_DIR CASE INITIATOR RESPONDER}
case_name=${2:?case missing}
initiator=${3:?initiator missing}
responder=${4:?responder missing}

# shellcheck source=harness.sh
. "$here/harness.sh"
# shellcheck source=cert.sh
. "$here/cert.sh"

case "$initiator-$responder" in
  strongswan-tcpsec | tcpsec-strongswan) ;;
  *) iop_fail "expected strongswan and tcpsec in either order, got $initiator and $responder" ;;
esac
if [ "$initiator" = strongswan ]; then
  strongswan_side=left
  tcpsec_side=right
else
  strongswan_side=right
  tcpsec_side=left
fi
case $case_name in
  ecdsa | rsa)
    key_type=$case_name
    rogue_side=none
    ;;
  reject-by-tcpsec)
    key_type=ecdsa
    rogue_side=$strongswan_side
    ;;
  reject-by-strongswan)
    key_type=ecdsa
    rogue_side=$tcpsec_side
    ;;
  *) iop_fail "unknown case '$case_name' (expected ecdsa, rsa, reject-by-tcpsec or reject-by-strongswan)" ;;
esac

cert_require
gateway_dir=$build/examples/gateway
if [ "$initiator" = tcpsec ] && [ ! -x "$gateway_dir/tcpsec-spoke" ]; then
  iop_skip "tcpsec-spoke was not built ($gateway_dir/tcpsec-spoke missing)"
fi
if [ "$responder" = tcpsec ] && [ ! -x "$gateway_dir/tcpsec-hub" ]; then
  iop_skip "tcpsec-hub was not built ($gateway_dir/tcpsec-hub missing)"
fi

iop_init
iop_topology direct
echo "case: certificates, $case_name, $initiator initiator -> $responder responder"
cert_make_pki "$key_type" "$rogue_side"

if [ "$tcpsec_side" = left ]; then
  tcpsec_ns=$IOP_NS_LEFT
  strongswan_ns=$IOP_NS_RIGHT
  tcpsec_id=$CERT_LEFT_ID
  strongswan_id=$CERT_RIGHT_ID
else
  tcpsec_ns=$IOP_NS_RIGHT
  strongswan_ns=$IOP_NS_LEFT
  tcpsec_id=$CERT_RIGHT_ID
  strongswan_id=$CERT_LEFT_ID
fi
charon_dir=$IOP_WORK/$strongswan_side
tcpsec_dir=$IOP_WORK/$tcpsec_side
tcpsec_log=$tcpsec_dir/tcpsec.log

# Start tcpsec: tcpsec-hub on the right, tcpsec-spoke on the left. The
# spoke signs RSA with RSASSA-PSS, the hub with PKCS#1 v1.5.
start_tcpsec() {
  local program config
  mkdir -p "$tcpsec_dir"
  if [ "$tcpsec_side" = right ]; then
    program=$gateway_dir/tcpsec-hub
    config=$tcpsec_dir/hub.conf
    cert_tcpsec_config "$config" right responder "$IOP_RIGHT_OUTER" "" \
      "$IOP_RIGHT_LAN" "$IOP_LEFT_LAN" "$IOP_RIGHT_INNER" \
      "$tcpsec_dir/control.sock" pkcs1
  else
    program=$gateway_dir/tcpsec-spoke
    config=$tcpsec_dir/spoke.conf
    cert_tcpsec_config "$config" left initiator "$IOP_LEFT_OUTER" \
      "$IOP_RIGHT_OUTER" "$IOP_LEFT_LAN" "$IOP_RIGHT_LAN" "$IOP_LEFT_INNER" \
      "$tcpsec_dir/control.sock" pss
  fi
  iop_tcpsec_check_config "$program" "$config"
  iop_tcpsec_start "$tcpsec_ns" "$program" "$config" "$tcpsec_dir/keylog" \
    "$tcpsec_log"
  IOP_TCPSEC_PROGRAM=$program
  IOP_TCPSEC_CONFIG=$config
}

# Start charon with its certificate, as initiator on the left or
# responder on the right.
start_strongswan() {
  local inner role local_addr remote_addr local_lan remote_lan
  if [ "$strongswan_side" = left ]; then
    inner=$IOP_LEFT_INNER
    role=initiator
    local_addr=$IOP_LEFT_OUTER
    remote_addr=$IOP_RIGHT_OUTER
    local_lan=$IOP_LEFT_LAN
    remote_lan=$IOP_RIGHT_LAN
  else
    inner=$IOP_RIGHT_INNER
    role=responder
    local_addr=$IOP_RIGHT_OUTER
    remote_addr=
    local_lan=$IOP_RIGHT_LAN
    remote_lan=$IOP_LEFT_LAN
  fi
  iop_inner_address "$strongswan_ns" "$inner"
  cert_strongswan_config "$charon_dir" "$strongswan_side" "$role" \
    "$local_addr" "$remote_addr" "$local_lan" "$remote_lan"
  cert_strongswan_start "$strongswan_ns" "$charon_dir"
}

charon_sas() {
  iop_swanctl "$charon_dir" --list-sas --raw 2>/dev/null
}

# Fail unless the tcpsec status shows the strongSwan side's identity as
# authenticated by signature.
check_tcpsec_status() {
  iop_tcpsec_status "$IOP_WORK/status.txt"
  sed 's/^/status: /' "$IOP_WORK/status.txt"
  grep -q "^peer-id: $strongswan_id\$" "$IOP_WORK/status.txt" ||
    iop_fail "tcpsec's status does not show the peer identity $strongswan_id"
  grep -q "^peer-auth: signature\$" "$IOP_WORK/status.txt" ||
    iop_fail "tcpsec's status does not show the peer as authenticated by signature"
}

# Fail unless both sides logged the certificate authentication they did:
# strongSwan verified tcpsec's AUTH, tcpsec signed and verified with
# method 14.
check_auth_logs() {
  local line
  line=$(grep -E "authentication of '$tcpsec_id' with .* successful" "$charon_dir/charon.log" | head -1)
  [ -n "$line" ] ||
    iop_fail "strongSwan did not log a successful authentication of $tcpsec_id: $(cert_charon_auth_lines "$charon_dir/charon.log")"
  iop_log "strongSwan: ${line#*] }"
  grep -q "signed AUTH with method 14" "$tcpsec_log" ||
    iop_fail "tcpsec did not sign with AUTH method 14 (RFC 7427): $(grep -E 'signed AUTH|AUTH \(method' "$tcpsec_log" | tail -3)"
  line=$(grep -E "certificate chain of [0-9]+ certificate\(s\) and its AUTH \(method 14" "$tcpsec_log" | head -1)
  [ -n "$line" ] ||
    iop_fail "tcpsec did not verify strongSwan's AUTH method 14: $(grep -E 'AUTH' "$tcpsec_log" | tail -3)"
  iop_log "tcpsec: ${line#*: }"
  iop_log "tcpsec: $(grep -m1 'signed AUTH with method 14' "$tcpsec_log" | sed 's/^.*signed/signed/')"
}

# ---- a tunnel that must come up ---------------------------------------------

run_accepted() {
  # <-- responder: waits for IKE_SA_INIT
  if [ "$responder" = strongswan ]; then start_strongswan; else start_tcpsec; fi

  # --> initiator: IKE_SA_INIT, then IKE_AUTH { IDi CERT [CERTREQ] AUTH ... }
  if [ "$initiator" = strongswan ]; then
    start_strongswan
    iop_strongswan_initiate "$charon_dir"
  else
    start_tcpsec
    iop_wait_for 200 iop_strongswan_installed "$charon_dir" ||
      iop_fail "no Child SA installed on the strongSwan responder within 20 s: $(cert_charon_auth_lines "$charon_dir/charon.log")"
  fi
  iop_log "tunnel up"

  check_tcpsec_status
  iop_ping "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_RIGHT_INNER"
  iop_ping "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" "$IOP_LEFT_INNER"
  iop_log "ping passed both ways"
  charon_sas | grep -q "remote-id=$tcpsec_id" ||
    iop_fail "strongSwan's IKE SA does not name $tcpsec_id as the remote identity"
  check_auth_logs
}

# ---- a tunnel that must not come up -----------------------------------------

# Fail if a Child SA is installed on either side some time after the
# rejection: a rejected IKE_AUTH must not leave a tunnel behind.
check_no_tunnel() {
  sleep 2
  if charon_sas | grep -q "state=INSTALLED"; then
    iop_fail "strongSwan installed a Child SA although a certificate was rejected: $(charon_sas | head -c 600)"
  fi
  iop_tcpsec_status "$IOP_WORK/status.txt"
  sed 's/^/status: /' "$IOP_WORK/status.txt"
  if grep -q "status: established" "$IOP_WORK/status.txt"; then
    iop_fail "tcpsec shows an established IKE SA although a certificate was rejected"
  fi
  if grep -qE "^proxyid=" "$IOP_WORK/status.txt"; then
    iop_fail "tcpsec shows a Child SA although a certificate was rejected"
  fi
}

run_rejected() {
  local expect_tcpsec expect_charon line
  if [ "$case_name" = reject-by-tcpsec ]; then
    # tcpsec rejects strongSwan's certificate and logs why. strongSwan
    # hears AUTHENTICATION_FAILED: as initiator in the IKE_AUTH response,
    # as responder in an INFORMATIONAL request after its own IKE_AUTH
    # response (RFC 7296 section 2.21.2), which charon logs as N(AUTH_FAILED)
    # and takes as a Delete of the IKE SA.
    expect_tcpsec="negotiation failed: .*\(CERT_UNTRUSTED\)"
    expect_charon="received AUTHENTICATION_FAILED notify error|parsed INFORMATIONAL request [0-9]+ \[ N\(AUTH_FAILED\) \]"
  else
    # strongSwan finds no trusted public key for tcpsec's identity.
    expect_tcpsec="AUTHENTICATION_FAILED"
    expect_charon="no trusted .* public key found for '$tcpsec_id'"
  fi

  if [ "$responder" = strongswan ]; then start_strongswan; else start_tcpsec; fi
  if [ "$initiator" = strongswan ]; then
    start_strongswan
    if iop_swanctl "$charon_dir" --initiate --child interop --timeout 15 \
      >"$IOP_WORK/initiate.log" 2>&1; then
      iop_fail "strongSwan established the tunnel although a certificate is from an untrusted CA"
    fi
  else
    start_tcpsec
  fi

  iop_wait_for 150 grep -qE "$expect_tcpsec" "$tcpsec_log" ||
    iop_fail "tcpsec did not log $expect_tcpsec: $(grep -E 'failed|rejected|AUTH' "$tcpsec_log" | tail -5)"
  line=$(grep -E "$expect_tcpsec" "$tcpsec_log" | head -1)
  iop_log "tcpsec: ${line#*: }"
  iop_wait_for 100 grep -qE "$expect_charon" "$charon_dir/charon.log" ||
    iop_fail "strongSwan did not log '$expect_charon': $(cert_charon_auth_lines "$charon_dir/charon.log")"
  line=$(grep -E "$expect_charon" "$charon_dir/charon.log" | head -1)
  iop_log "strongSwan: ${line#*] }"
  check_no_tunnel
}

case $case_name in
  ecdsa | rsa) run_accepted ;;
  *) run_rejected ;;
esac
echo "passed: certificates, $case_name, $initiator initiator -> $responder responder"
