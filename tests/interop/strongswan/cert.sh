# shellcheck shell=bash
#
# Functions of the certificate interoperability cases (run_cert.sh): a test
# PKI made with openssl at run time, strongSwan configured for public key
# authentication (swanctl auth = pubkey with certs and cacerts), and tcpsec
# configured with its certificate keywords (authmethod signature,
# certificate, peertype peer with config user peer, config tcpsec
# certificate local and ca). Source harness.sh first: these functions use
# its topology, process and logging helpers.
#
# The PKI, in CERT_PKI (a folder of the run's work folder):
#
#   ca        "tcpsec interop CA"         ECDSA P-256, trusted by both sides
#   rogue-ca  "tcpsec interop rogue CA"   ECDSA P-256, trusted by neither
#   left, right   end-entity certificates of the initiator (left) and the
#                 responder (right), ECDSA P-256 or RSA-2048, with
#                 subjectAltName DNS:left.interop.example and
#                 DNS:right.interop.example, issued by ca, or by rogue-ca
#                 for the side whose certificate a case must reject.

CERT_LEFT_ID=left.interop.example
CERT_RIGHT_ID=right.interop.example

# Skip unless this is root with strongSwan, openssl and the namespace
# tools. Unlike the PSK cases these need no tshark, tcpdump or socat.
cert_require() {
  local tool
  [ "$(id -u)" -eq 0 ] || iop_skip "needs root for network namespaces"
  [ -x "$IOP_CHARON" ] ||
    iop_skip "strongSwan is not installed ($IOP_CHARON missing; install strongswan-charon)"
  [ -e "$IOP_PLUGIN_DIR/libstrongswan-kernel-libipsec.so" ] ||
    iop_skip "strongSwan's kernel-libipsec plugin is missing (install libcharon-extra-plugins)"
  for tool in swanctl openssl ip unshare ping; do
    command -v "$tool" >/dev/null 2>&1 || iop_skip "$tool is not installed"
  done
  [ -c /dev/net/tun ] || iop_skip "/dev/net/tun is missing"
}

# ---- test PKI -------------------------------------------------------------

# Make the two CAs and the end-entity certificates of one case.
#   cert_make_pki KEY_TYPE ROGUE_SIDE
# KEY_TYPE is ecdsa (P-256) or rsa (2048 bits) for left and right.
# ROGUE_SIDE names the side (left or right) whose certificate comes from
# rogue-ca, or none. Sets CERT_PKI. openssl's output goes to CERT_PKI/openssl.log.
cert_make_pki() {
  local key_type=$1 rogue_side=$2 side issuer key_opts
  CERT_PKI=$IOP_WORK/pki
  mkdir -p "$CERT_PKI"
  case $key_type in
    ecdsa) key_opts=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    rsa) key_opts=(-newkey rsa:2048) ;;
    *) iop_fail "unknown key type '$key_type' (expected ecdsa or rsa)" ;;
  esac
  (
    set -e
    cd "$CERT_PKI"
    for issuer in ca rogue-ca; do
      openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -keyout "$issuer.key" -out "$issuer.pem" -days 30 -sha256 \
        -subj "/O=tcpsec interop/CN=tcpsec interop $issuer" \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign
    done
    for side in left right; do
      issuer=ca
      [ "$side" != "$rogue_side" ] || issuer=rogue-ca
      printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:%s.interop.example\n' \
        "$side" >"$side.ext"
      openssl req -new -nodes "${key_opts[@]}" -keyout "$side.key" \
        -out "$side.csr" -subj "/O=tcpsec interop/CN=$side.interop.example"
      openssl x509 -req -in "$side.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
        -CAcreateserial -out "$side.pem" -days 30 -sha256 -extfile "$side.ext"
    done
  ) >"$CERT_PKI/openssl.log" 2>&1 ||
    iop_fail "openssl could not make the test certificates: $(tail -5 "$CERT_PKI/openssl.log")"
}

# ---- strongSwan -----------------------------------------------------------

# Write DIR/strongswan.conf and DIR/swanctl.conf for one charon that
# authenticates SIDE (left or right) with its certificate and trusts ca
# for the peer, and put the credentials where swanctl loads them
# (SWANCTL_DIR=DIR: x509/, x509ca/, private/).
#   cert_strongswan_config DIR SIDE ROLE LOCAL_ADDR REMOTE_ADDR LOCAL_TS REMOTE_TS
# The suite is aes128gcm16-prfsha256-ecp256 for IKE and aes128gcm16 for
# ESP. charon signs with RFC 7427 signatures by default
# (charon.signature_authentication) once both sides announce
# SIGNATURE_HASH_ALGORITHMS, with PKCS#1 v1.5 padding for RSA
# (charon.rsa_pss is no).
cert_strongswan_config() {
  local dir=$1 side=$2 role=$3 local_addr=$4 remote_addr=$5 local_ts=$6
  local remote_ts=$7 local_id remote_id
  if [ "$side" = left ]; then
    local_id=$CERT_LEFT_ID
    remote_id=$CERT_RIGHT_ID
  else
    local_id=$CERT_RIGHT_ID
    remote_id=$CERT_LEFT_ID
  fi
  [ "$role" = responder ] && remote_addr=%any
  mkdir -p "$dir/run" "$dir/x509" "$dir/x509ca" "$dir/private"
  cp "$CERT_PKI/$side.pem" "$dir/x509/$side.pem"
  cp "$CERT_PKI/$side.key" "$dir/private/$side.key"
  cp "$CERT_PKI/ca.pem" "$dir/x509ca/ca.pem"
  IOP_EVIDENCE+=("$dir/charon.log")
  # The plugins are listed, so /etc/strongswan.d is not read; pkcs8 loads
  # the unencrypted PKCS#8 keys openssl writes.
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints aes sha1 sha2 gcm hmac kdf kernel-libipsec kernel-netlink socket-default vici updown
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 3
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    main {
      path = $dir/charon.log
      default = 1
      ike = 2
      cfg = 2
      flush_line = yes
      time_format = %H:%M:%S
    }
  }
}
swanctl {
  load = pem pkcs1 pkcs8 x509 pubkey openssl random
  socket = unix://$dir/charon.vici
}
EOF
  cat >"$dir/swanctl.conf" <<EOF
connections {
  interop {
    version = 2
    local_addrs = $local_addr
    remote_addrs = $remote_addr
    proposals = aes128gcm16-prfsha256-ecp256
    rekey_time = 0s
    local {
      auth = pubkey
      certs = $side.pem
      id = $local_id
    }
    remote {
      auth = pubkey
      cacerts = ca.pem
      id = $remote_id
    }
    children {
      interop {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = aes128gcm16-ecp256
        rekey_time = 0s
        start_action = none
      }
    }
  }
}
EOF
}

# Start charon in NS with the files of cert_strongswan_config and load the
# connection and the credentials.
cert_strongswan_start() {
  local ns=$1 dir=$2
  SWANCTL_DIR=$dir iop_strongswan_start "$ns" "$dir"
  grep -q "loaded certificate" "$dir/load.log" ||
    iop_fail "swanctl loaded no certificate: $(cat "$dir/load.log")"
  grep -q "loaded .* key" "$dir/load.log" ||
    iop_fail "swanctl loaded no private key: $(cat "$dir/load.log")"
}

# ---- tcpsec ---------------------------------------------------------------

# Write a tcpsec configuration that authenticates SIDE with its certificate.
#   cert_tcpsec_config FILE SIDE ROLE LOCAL_ADDR REMOTE_ADDR LOCAL_LAN
#                      REMOTE_LAN INNER_ADDR SOCKET RSA_FORMAT
# A responder (hub, type dynamic) accepts peers whose certificates lead to
# ca through peertype peer and a config user peer entry. It also lists
# rogue-ca as a CA entry that the peer entry does not name, so a rejected
# rogue certificate shows that peertype peer narrows the trust. An
# initiator (spoke) trusts ca and checks the responder's identity with
# peertype one. RSA_FORMAT is the rsa-signature-format (pkcs1 or pss).
cert_tcpsec_config() {
  local file=$1 side=$2 role=$3 local_addr=$4 remote_addr=$5 local_lan=$6
  local remote_lan=$7 inner=$8 socket=$9 rsa_format=${10}
  local local_id remote_id type_lines peer_lines ca_entries
  if [ "$side" = left ]; then
    local_id=$CERT_LEFT_ID
    remote_id=$CERT_RIGHT_ID
  else
    local_id=$CERT_RIGHT_ID
    remote_id=$CERT_LEFT_ID
  fi
  ca_entries="    edit \"interop-ca\"
        set ca-file \"$CERT_PKI/ca.pem\"
    next"
  if [ "$role" = responder ]; then
    type_lines="        set type dynamic"
    peer_lines="        set peertype peer
        set peer \"interop-peers\""
    ca_entries+="
    edit \"rogue-ca\"
        set ca-file \"$CERT_PKI/rogue-ca.pem\"
    next"
  else
    type_lines="        set type static
        set remote-gw $remote_addr"
    peer_lines="        set peertype one
        set peerid \"$remote_id\""
  fi
  cat >"$file" <<EOF
# Generated by the certificate interoperability test.
config tcpsec certificate local
    edit "own"
        set certificate-file "$CERT_PKI/$side.pem"
        set private-key-file "$CERT_PKI/$side.key"
    next
end
config tcpsec certificate ca
$ca_entries
end
config user peer
    edit "interop-peers"
        set ca "interop-ca"
    next
end
config vpn ipsec phase1-interface
    edit "interop"
$type_lines
        set local-gw $local_addr
        set proposal aes128gcm-prfsha256
        set dhgrp 19
        set transport udp
        set authmethod signature
        set certificate "own"
        set rsa-signature-format $rsa_format
        set localid "$local_id"
$peer_lines
        set dpd disable
    next
end
config vpn ipsec phase2-interface
    edit "interop"
        set phase1name "interop"
        set proposal aes128gcm
        set dhgrp 19
        set src-subnet $local_lan
        set dst-subnet $remote_lan
    next
end
config tcpsec system
    set control-socket "$socket"
    set log-level debug
end
config tcpsec tunnel
    edit "interop"
        set tun-name "tsi$IOP_ID"
        set tunnel-address $inner/24
        set routes $remote_lan
    next
end
EOF
}

# ---- checks ---------------------------------------------------------------

# Print the lines of a charon log that explain authentication, without the
# hex dumps.
cert_charon_auth_lines() {
  grep -E "authentication of|signature|certificate|AUTHENTICATION_FAILED|trusted|constraint|peer config" "$1" |
    grep -Ev '^(\S+ )?[0-9]+\[[A-Z]+\] +[0-9]+: ' | tail -n 12
}
