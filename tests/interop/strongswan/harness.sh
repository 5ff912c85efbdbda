# shellcheck shell=bash
#
# Functions shared by the strongSwan interoperability tests and by
# tests/tshark/test_lua_gateway.sh. Source this file, call iop_init, then build the topology and start the peers. The EXIT
# trap that iop_init installs ends every process the test started, deletes
# its network namespaces and removes its work folder, also on failure.
#
# Topologies (the initiator is always on the left):
#
#   direct:  L 192.0.2.10/24 ------------------------------ R 192.0.2.20/24
#
#   nat:     L 198.51.100.10/24 -- .1 N 203.0.113.1 -- R 203.0.113.20/24
#                                    (nftables masquerade, source ports
#                                     remapped to 20000-29999)
#
#   inner:   L 10.1.0.1 (LAN 10.1.0.0/24)  <== tunnel ==>  R 10.2.0.1
#                                                      (LAN 10.2.0.0/24)
#
# Only documentation prefixes are used outside the tunnel, and no namespace
# has a route out of the topology. Both ends of every veth pair are created
# directly inside their namespaces, so nothing appears in the namespace the
# test runs in. Names carry a per-run id, so runs may overlap.

IOP_CHARON=${IOP_CHARON:-/usr/lib/ipsec/charon}
IOP_PLUGIN_DIR=${IOP_PLUGIN_DIR:-/usr/lib/ipsec/plugins}

IOP_LEFT_LAN=10.1.0.0/24
IOP_LEFT_INNER=10.1.0.1
IOP_RIGHT_LAN=10.2.0.0/24
IOP_RIGHT_INNER=10.2.0.1
IOP_PSK="tcpsec-interop-6f2d41c08a9e"
IOP_BULK_PORT=5001

IOP_PIDS=()
IOP_NAMESPACES=()
IOP_EVIDENCE=()
IOP_WORK=
IOP_ID=

iop_log() {
  echo "interop: $*" >&2
}

iop_skip() {
  echo "skipped: $*"
  exit 77
}

iop_fail() {
  echo "FAIL: $*"
  exit 1
}

# Skip unless this is root with strongSwan, tshark and the namespace tools.
iop_require() {
  local tool
  [ "$(id -u)" -eq 0 ] || iop_skip "needs root for network namespaces"
  [ -x "$IOP_CHARON" ] ||
    iop_skip "strongSwan is not installed ($IOP_CHARON missing; install strongswan-charon)"
  [ -e "$IOP_PLUGIN_DIR/libstrongswan-kernel-libipsec.so" ] ||
    iop_skip "strongSwan's kernel-libipsec plugin is missing (install libcharon-extra-plugins)"
  for tool in swanctl tshark tcpdump socat nft ip unshare sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || iop_skip "$tool is not installed"
  done
  [ -c /dev/net/tun ] || iop_skip "/dev/net/tun is missing"
}

# Create the work folder and a run id that no existing namespace uses, and
# install the cleanup trap.
iop_init() {
  IOP_WORK=$(mktemp -d /tmp/tcpsec-interop.XXXXXX)
  IOP_ID=$(printf '%05d' $(( ($$ * 7 + RANDOM) % 100000 )))
  while ip netns list | grep -q "^tsi$IOP_ID-"; do
    IOP_ID=$(printf '%05d' $((RANDOM % 100000)))
  done
  trap iop_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Stop one process: SIGTERM, up to 5 s for it to exit, then SIGKILL.
iop_stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    iop_log "process $pid did not stop after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

# Print the PIDs of this run's processes that are still alive. These are
# the ones it started, charon instances whose STRONGSWAN_CONF lies in its
# work folder, and any process whose command line names the work folder.
# charon is found through its environment because its command line does
# not name the folder.
iop_leftovers() {
  local pid
  {
    for pid in "${IOP_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null && echo "$pid"
    done
    for pid in $(pgrep -x charon); do
      tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
        grep -q "^STRONGSWAN_CONF=$IOP_WORK/" && echo "$pid"
    done
    [ -n "$IOP_WORK" ] && pgrep -f "$IOP_WORK"
  } | sort -u | tr '\n' ' '
}

# EXIT trap: stop every process the test started, then any process still
# inside one of its namespaces, and delete the namespaces. Fail if a process
# of this run survived (see iop_leftovers).
iop_cleanup() {
  local status=$? pid ns left
  trap - EXIT

  for pid in "${IOP_PIDS[@]}"; do
    iop_stop_pid "$pid"
  done

  for ns in "${IOP_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      iop_log "process $pid still runs in namespace $ns; stopping it"
      iop_stop_pid "$pid"
    done
    ip netns del "$ns" 2>/dev/null || iop_log "cannot delete namespace $ns"
  done

  left=$(iop_leftovers)
  if [ -n "$left" ]; then
    echo "FAIL: processes of this run still running after cleanup:$left"
    for pid in $left; do
      kill -KILL "$pid" 2>/dev/null
    done
    status=1
  fi

  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    iop_show_evidence
  fi
  if [ -n "$IOP_WORK" ] && [ -d "$IOP_WORK" ]; then
    if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "${IOP_KEEP_DIR:-}" ]; then
      mkdir -p "$IOP_KEEP_DIR"
      cp -r "$IOP_WORK" "$IOP_KEEP_DIR/" &&
        echo "evidence kept in $IOP_KEEP_DIR/$(basename "$IOP_WORK")"
    fi
    rm -rf "$IOP_WORK"
  fi
  exit "$status"
}

# Print the end of every log registered in IOP_EVIDENCE (charon's hex
# dumps left out), so that a failed run shows each peer's last messages.
iop_show_evidence() {
  local file
  for file in "${IOP_EVIDENCE[@]}"; do
    [ -s "$file" ] || continue
    echo "---- last lines of $(basename "$(dirname "$file")")/$(basename "$file")"
    grep -Ev '^(\S+ )?[0-9]+\[[A-Z]+\] +[0-9]+: ' "$file" | tail -n 40
  done
}

# Start a command in a namespace in the background with its output in a
# file. Its PID goes to IOP_LAST_PID and to the list the cleanup stops.
iop_spawn() {
  local ns=$1 out=$2
  shift 2
  ip netns exec "$ns" "$@" >"$out" 2>&1 &
  IOP_LAST_PID=$!
  IOP_PIDS+=("$IOP_LAST_PID")
}

iop_netns_add() {
  ip netns add "$1" || iop_fail "cannot create namespace $1"
  IOP_NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

# veth pair with one end in each namespace, both up, with addresses.
iop_link() {
  local ns1=$1 if1=$2 addr1=$3 ns2=$4 if2=$5 addr2=$6
  ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2" ||
    iop_fail "cannot create the veth pair $ns1/$if1 - $ns2/$if2"
  ip -n "$ns1" addr add "$addr1" dev "$if1" &&
    ip -n "$ns2" addr add "$addr2" dev "$if2" &&
    ip -n "$ns1" link set "$if1" up &&
    ip -n "$ns2" link set "$if2" up ||
    iop_fail "cannot configure the veth pair $ns1/$if1 - $ns2/$if2"
}

# Build the "direct" or "nat" topology. Sets IOP_NS_LEFT, IOP_NS_RIGHT,
# IOP_LEFT_OUTER, IOP_RIGHT_OUTER, IOP_LEFT_SEEN (the left address as it
# arrives at the right side) and IOP_CAPTURE_IF_LEFT/RIGHT.
iop_topology() {
  local kind=$1
  IOP_NS_LEFT=tsi${IOP_ID}-left
  IOP_NS_RIGHT=tsi${IOP_ID}-right
  iop_netns_add "$IOP_NS_LEFT"
  iop_netns_add "$IOP_NS_RIGHT"
  case $kind in
    direct)
      IOP_LEFT_OUTER=192.0.2.10
      IOP_RIGHT_OUTER=192.0.2.20
      IOP_LEFT_SEEN=$IOP_LEFT_OUTER
      iop_link "$IOP_NS_LEFT" wan "$IOP_LEFT_OUTER/24" \
        "$IOP_NS_RIGHT" wan "$IOP_RIGHT_OUTER/24"
      ;;
    nat)
      IOP_NS_NAT=tsi${IOP_ID}-nat
      iop_netns_add "$IOP_NS_NAT"
      IOP_LEFT_OUTER=198.51.100.10
      IOP_RIGHT_OUTER=203.0.113.20
      IOP_LEFT_SEEN=203.0.113.1
      iop_link "$IOP_NS_LEFT" wan "$IOP_LEFT_OUTER/24" \
        "$IOP_NS_NAT" inside 198.51.100.1/24
      iop_link "$IOP_NS_NAT" outside 203.0.113.1/24 \
        "$IOP_NS_RIGHT" wan "$IOP_RIGHT_OUTER/24"
      ip -n "$IOP_NS_LEFT" route add default via 198.51.100.1 ||
        iop_fail "cannot add the default route of the left side"
      ip netns exec "$IOP_NS_NAT" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null ||
        iop_fail "cannot enable forwarding in the NAT namespace"
      # Masquerade with remapped source ports, so that both peers see a
      # real NAT: IKE arrives from a port other than 500 or 4500.
      ip netns exec "$IOP_NS_NAT" nft -f - <<'EOF' ||
table ip tcpsec_interop_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "outside" meta l4proto udp masquerade to :20000-29999
    oifname "outside" masquerade
  }
}
EOF
        iop_fail "cannot load the NAT rules"
      ;;
    *)
      iop_fail "unknown topology '$kind' (expected direct or nat)"
      ;;
  esac
  IOP_CAPTURE_IF_LEFT=wan
  IOP_CAPTURE_IF_RIGHT=wan
}

# Put an inner address on lo: charon routes the tunnel with that source.
iop_inner_address() {
  ip -n "$1" addr add "$2/32" dev lo ||
    iop_fail "cannot add the inner address $2 in $1"
}

# Wait until a command succeeds; $1 is the time limit in tenths of a second.
iop_wait_for() {
  local limit=$1 i
  shift
  for i in $(seq "$limit"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# ---- packet capture -------------------------------------------------------

# Capture traffic on an interface of a namespace into FILE: by default the
# UDP traffic (IKE on 500 and 4500, UDP-encapsulated ESP), or what the
# tcpdump filter FILTER selects.
iop_capture_start() {
  local ns=$1 ifname=$2 file=$3 filter=${4:-udp}
  # --immediate-mode: without it libpcap hands over packets in blocks, and
  # the last block can still be in the kernel when tcpdump is stopped. The
  # 64 MiB buffer (-B, in KiB) is larger than a whole case's traffic, so a
  # busy machine does not make the kernel drop captured packets.
  iop_spawn "$ns" "$file.log" tcpdump -i "$ifname" -s 0 -B 65536 -U -n \
    --immediate-mode -w "$file" "$filter"
  IOP_CAPTURE_PID=$IOP_LAST_PID
  iop_wait_for 50 grep -q "listening on" "$file.log" ||
    iop_fail "tcpdump did not start: $(cat "$file.log")"
}

# Stop the capture and fail if the kernel dropped packets before tcpdump
# read them: the decode checks need every packet.
iop_capture_stop() {
  local file=$1 dropped
  sleep 0.5
  iop_stop_pid "$IOP_CAPTURE_PID"
  dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel$/\1/p' "$file.log")
  [ "${dropped:-0}" -eq 0 ] ||
    iop_fail "tcpdump lost $dropped packets (kernel drops); the capture is incomplete"
}

# ---- strongSwan -----------------------------------------------------------

# Proposal strings of one suite: IKE proposal, ESP proposal (strongSwan
# syntax), and the FortiOS phase 1 proposal, phase 2 proposal and DH group
# that select the same transforms on the tcpsec side.
iop_suite() {
  case $1 in
    aes128gcm16-prfsha256-ecp256)
      IOP_SS_IKE=aes128gcm16-prfsha256-ecp256
      IOP_SS_ESP=aes128gcm16-ecp256
      IOP_FOS_P1=aes128gcm-prfsha256
      IOP_FOS_P2=aes128gcm
      IOP_FOS_DH=19
      ;;
    aes256-sha256-ecp384)
      IOP_SS_IKE=aes256-sha256-ecp384
      IOP_SS_ESP=aes256-sha256-ecp384
      IOP_FOS_P1=aes256-sha256
      IOP_FOS_P2=aes256-sha256
      IOP_FOS_DH=20
      ;;
    chacha20poly1305-prfsha256-x25519)
      IOP_SS_IKE=chacha20poly1305-prfsha256-x25519
      IOP_SS_ESP=chacha20poly1305-x25519
      IOP_FOS_P1=chacha20poly1305-prfsha256
      IOP_FOS_P2=chacha20poly1305
      IOP_FOS_DH=31
      ;;
    aes128-sha256-modp2048)
      IOP_SS_IKE=aes128-sha256-modp2048
      IOP_SS_ESP=aes128-sha256-modp2048
      IOP_FOS_P1=aes128-sha256
      IOP_FOS_P2=aes128-sha256
      IOP_FOS_DH=14
      ;;
    *)
      iop_fail "unknown suite '$1'"
      ;;
  esac
}

# Write DIR/strongswan.conf and DIR/swanctl.conf for one charon.
#   iop_strongswan_config DIR ROLE LOCAL_ADDR REMOTE_ADDR LOCAL_TS REMOTE_TS
# ROLE is initiator or responder; a responder accepts any remote address.
# Rekeys are off unless these variables set times in seconds (swanctl.conf
# names): IOP_SS_IKE_REKEY_TIME and IOP_SS_IKE_OVER_TIME for the IKE SA,
# IOP_SS_CHILD_REKEY_TIME and IOP_SS_CHILD_LIFE_TIME for the Child SA.
# rand_time is 0 whenever a rekey time is set, so rekeys start on time.
# IOP_SS_DPD_DELAY turns on dead peer detection after that idle time.
iop_strongswan_config() {
  local dir=$1 role=$2 local_addr=$3 remote_addr=$4 local_ts=$5 remote_ts=$6
  local ike_timers child_timers
  ike_timers=$(iop_strongswan_timers "    " "${IOP_SS_IKE_REKEY_TIME:-0}" \
    over_time "${IOP_SS_IKE_OVER_TIME:-}")
  child_timers=$(iop_strongswan_timers "        " "${IOP_SS_CHILD_REKEY_TIME:-0}" \
    life_time "${IOP_SS_CHILD_LIFE_TIME:-}")
  if [ -n "${IOP_SS_DPD_DELAY:-}" ]; then
    ike_timers+=$'\n'"    dpd_delay = ${IOP_SS_DPD_DELAY}s"
  fi
  mkdir -p "$dir/run"
  IOP_EVIDENCE+=("$dir/charon.log")
  if [ "$role" = responder ]; then
    remote_addr=%any
  fi
  # The plugins are listed, so /etc/strongswan.d (which disables
  # kernel-libipsec) is not read. ike = 4 and chd = 4 log the derived keys
  # for the decoder.
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem pkcs1 x509 pubkey aes sha1 sha2 gcm hmac kdf kernel-libipsec kernel-netlink socket-default vici updown
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 4
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
  filelog {
    main {
      path = $dir/charon.log
      default = 1
      ike = 4
      chd = 4
      flush_line = yes
      time_format = %H:%M:%S
    }
  }
}
swanctl {
  load = pem pkcs1 x509 pubkey openssl random
  socket = unix://$dir/charon.vici
}
EOF
  cat >"$dir/swanctl.conf" <<EOF
connections {
  interop {
    version = 2
    local_addrs = $local_addr
    remote_addrs = $remote_addr
    proposals = $IOP_SS_IKE
$ike_timers
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      interop {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = $IOP_SS_ESP
$child_timers
        start_action = none
      }
    }
  }
}
secrets {
  ike-interop {
    secret = "$IOP_PSK"
  }
}
EOF
}

# Print the swanctl.conf lines of one SA's lifetime, each after INDENT:
# rekey_time REKEY, and when REKEY is not 0, rand_time 0 and the hard limit
# NAME = VALUE if VALUE is set. Times are in seconds.
iop_strongswan_timers() {
  local indent=$1 rekey=$2 name=$3 value=$4
  echo "${indent}rekey_time = ${rekey}s"
  if [ "$rekey" != 0 ]; then
    echo "${indent}rand_time = 0s"
    [ -z "$value" ] || echo "${indent}$name = ${value}s"
  fi
}

iop_swanctl() {
  local dir=$1
  shift
  STRONGSWAN_CONF=$dir/strongswan.conf swanctl "$@"
}

# Start charon in namespace NS with the configuration in DIR, each instance
# with a private /run (charon always writes /var/run/charon.pid), and load
# the connection and the key.
iop_strongswan_start() {
  local ns=$1 dir=$2
  iop_spawn "$ns" "$dir/charon.out" unshare -m --propagation private sh -c \
    "mount --bind '$dir/run' /run && exec env STRONGSWAN_CONF='$dir/strongswan.conf' '$IOP_CHARON'"
  iop_wait_for 100 test -S "$dir/charon.vici" ||
    iop_fail "charon in $ns did not open its control socket: $(tail -5 "$dir/charon.out")"
  iop_swanctl "$dir" --load-all --file "$dir/swanctl.conf" >"$dir/load.log" 2>&1 ||
    iop_fail "swanctl could not load the configuration: $(cat "$dir/load.log")"
}

# Initiate the Child SA and wait until it is installed.
iop_strongswan_initiate() {
  local dir=$1
  iop_swanctl "$dir" --initiate --child interop --timeout 30 >"$dir/initiate.log" 2>&1 ||
    iop_fail "strongSwan could not establish the tunnel: $(tail -5 "$dir/initiate.log")"
}

iop_strongswan_installed() {
  iop_swanctl "$1" --list-sas --raw 2>/dev/null | grep -q "state=INSTALLED"
}

# ---- tcpsec ---------------------------------------------------------------

# Write a hub (dial-up responder) or spoke (initiator) configuration in the
# FortiOS syntax. The transport is IOP_TRANSPORT (udp by default, or tcp),
# and IOP_FORTINET_ESP (enable or disable) and IOP_TCP_PORT apply to tcp.
# These variables add optional lines: IOP_TCPSEC_KEYLIFE (phase 1 keylife,
# seconds), IOP_TCPSEC_KEYLIFESECONDS (phase 2), IOP_TCPSEC_PFS (enable or
# disable), IOP_TCPSEC_DPD (dpd mode, disable by default),
# IOP_TCPSEC_DPD_INTERVAL (dpd-retryinterval, seconds), and the soft
# lifetimes IOP_TCPSEC_CHILD_REKEY and IOP_TCPSEC_IKE_REKEY (child-rekey and
# ike-rekey, seconds; with them the jitter is 0).
#   iop_tcpsec_config FILE ROLE LOCAL_ADDR REMOTE_ADDR LOCAL_LAN REMOTE_LAN
#                     INNER_ADDR SOCKET
iop_tcpsec_config() {
  local file=$1 role=$2 local_addr=$3 remote_addr=$4 local_lan=$5
  local remote_lan=$6 inner=$7 socket=$8 type_line remote_line
  local phase1_extra="" phase2_extra="" tunnel_extra=""
  if [ "$role" = responder ]; then
    type_line="set type dynamic"
    remote_line=""
  else
    type_line="set type static"
    remote_line="set remote-gw $remote_addr"
  fi
  if [ -n "${IOP_TCPSEC_DPD_INTERVAL:-}" ]; then
    phase1_extra+="        set dpd-retryinterval $IOP_TCPSEC_DPD_INTERVAL"$'\n'
  fi
  if [ -n "${IOP_TCPSEC_KEYLIFE:-}" ]; then
    phase1_extra+="        set keylife $IOP_TCPSEC_KEYLIFE"$'\n'
  fi
  if [ -n "${IOP_TCPSEC_PFS:-}" ]; then
    phase2_extra+="        set pfs $IOP_TCPSEC_PFS"$'\n'
  fi
  if [ -n "${IOP_TCPSEC_KEYLIFESECONDS:-}" ]; then
    phase2_extra+="        set keylifeseconds $IOP_TCPSEC_KEYLIFESECONDS"$'\n'
  fi
  if [ -n "${IOP_TCPSEC_CHILD_REKEY:-}" ]; then
    tunnel_extra+="        set child-rekey $IOP_TCPSEC_CHILD_REKEY"$'\n'
    tunnel_extra+="        set rekey-jitter 0"$'\n'
  fi
  if [ -n "${IOP_TCPSEC_IKE_REKEY:-}" ]; then
    tunnel_extra+="        set ike-rekey $IOP_TCPSEC_IKE_REKEY"$'\n'
  fi
  cat >"$file" <<EOF
# Generated by the interoperability test harness.
config system settings
    set ike-tcp-service enable
    set ike-tcp-port ${IOP_TCP_PORT:-4500}
end
config vpn ipsec phase1-interface
    edit "interop"
        $type_line
        set local-gw $local_addr
        $remote_line
        set proposal $IOP_FOS_P1
        set dhgrp $IOP_FOS_DH
        set transport ${IOP_TRANSPORT:-udp}
        set fortinet-esp ${IOP_FORTINET_ESP:-disable}
        set psksecret "$IOP_PSK"
        set dpd ${IOP_TCPSEC_DPD:-disable}
${phase1_extra}    next
end
config vpn ipsec phase2-interface
    edit "interop"
        set phase1name "interop"
        set proposal $IOP_FOS_P2
        set dhgrp $IOP_FOS_DH
        set src-subnet $local_lan
        set dst-subnet $remote_lan
${phase2_extra}    next
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
${tunnel_extra}    next
end
EOF
}

# Start tcpsec-hub or tcpsec-spoke in NS with a key log.
#   iop_tcpsec_start NS PROGRAM CONFIG KEYLOG LOG
iop_tcpsec_start() {
  local ns=$1 program=$2 config=$3 keylog=$4 log=$5
  IOP_EVIDENCE+=("$log")
  iop_spawn "$ns" "$log" "$program" -c "$config" -l debug -k "$keylog"
  IOP_TCPSEC_PID=$IOP_LAST_PID
  sleep 0.5
  kill -0 "$IOP_TCPSEC_PID" 2>/dev/null ||
    iop_fail "$(basename "$program") exited at start: $(tail -20 "$log")"
}

# ---- traffic --------------------------------------------------------------

# Ping from NS with SOURCE to DEST; the first echo may be lost while the
# route is being set up, so allow a few tries.
iop_ping() {
  local ns=$1 src=$2 dst=$3 i
  for i in 1 2 3 4 5; do
    if ip netns exec "$ns" ping -n -q -c 3 -i 0.2 -W 2 -I "$src" "$dst" \
      >"$IOP_WORK/ping.log" 2>&1; then
      return 0
    fi
  done
  iop_fail "ping $src -> $dst failed: $(tail -3 "$IOP_WORK/ping.log")"
}

# Send SIZE bytes of random data with socat from SRC in NS_SRC to DST in
# NS_DST over TCP through the tunnel, and compare SHA-256 of both copies.
iop_bulk() {
  local ns_src=$1 src=$2 ns_dst=$3 dst=$4 size=$5 tag=$6 port=$IOP_BULK_PORT
  local sent=$IOP_WORK/bulk-$tag.sent received=$IOP_WORK/bulk-$tag.received
  head -c "$size" /dev/urandom >"$sent"
  iop_spawn "$ns_dst" "$IOP_WORK/bulk-$tag.server.log" \
    socat -u "TCP-LISTEN:$port,bind=$dst,reuseaddr" "CREATE:$received"
  local server=$IOP_LAST_PID
  iop_wait_for 50 ip netns exec "$ns_dst" sh -c "ss -ltn | grep -q '$dst:$port'" ||
    iop_fail "the bulk receiver did not start"
  if ! timeout 60 ip netns exec "$ns_src" \
    socat -u "OPEN:$sent,rdonly" "TCP:$dst:$port,bind=$src,connect-timeout=10" \
    >"$IOP_WORK/bulk-$tag.client.log" 2>&1; then
    iop_fail "bulk transfer $src -> $dst failed: $(tail -3 "$IOP_WORK/bulk-$tag.client.log")"
  fi
  iop_wait_for 100 sh -c "! kill -0 $server 2>/dev/null" ||
    iop_fail "the bulk receiver did not finish"
  wait "$server" 2>/dev/null || true
  local a b
  a=$(sha256sum <"$sent" | cut -d' ' -f1)
  b=$(sha256sum <"$received" | cut -d' ' -f1)
  [ "$a" = "$b" ] ||
    iop_fail "bulk transfer $src -> $dst: SHA-256 $b received, $a sent ($(stat -c %s "$received") of $size bytes)"
  iop_log "bulk $src -> $dst: $size bytes, SHA-256 equal"
  rm -f "$sent" "$received"
}

# ---- peers ----------------------------------------------------------------

# Fail when the tcpsec program cannot load CONFIG, and skip when it does
# not know a keyword of it. The check runs "PROGRAM -c CONFIG status"
# before the daemon starts: that loads the whole file and then reports
# that the daemon is unreachable.
iop_tcpsec_check_config() {
  local program=$1 config=$2 out
  out=$("$program" -c "$config" status 2>&1)
  case $out in
    *"cannot reach the daemon"*) return 0 ;;
    *"unknown keyword"*)
      iop_skip "$(basename "$program") does not know a keyword of the test configuration: $out" ;;
    *) iop_fail "$(basename "$program") rejected the test configuration: $out" ;;
  esac
}

# Skip when tcpsec started but reported one of the KEYWORDs as ignored or
# unknown: its notices go to LOG when the daemon starts.
iop_tcpsec_check_notices() {
  local log=$1 keyword line
  shift
  for keyword in "$@"; do
    line=$(grep -E "notice: .*(set|unset) '?$keyword'?: " "$log" | head -1)
    [ -z "$line" ] ||
      iop_skip "tcpsec does not apply 'set $keyword' yet: $line"
  done
}

# Start the responder on the right and the initiator on the left (each
# strongswan or tcpsec) and wait until the first Child SA is installed.
# The right side uses tcpsec-hub, the left side tcpsec-spoke.
#   iop_start_peers INITIATOR RESPONDER GATEWAY_DIR
# Sets IOP_TCPSEC_PROGRAM, IOP_TCPSEC_CONFIG and IOP_TCPSEC_LOG (all empty
# when both sides are strongSwan), and IOP_VERIFY_ARGS, the key sources for
# verify_capture.py.
iop_start_peers() {
  local initiator=$1 responder=$2 gateway_dir=$3
  IOP_TCPSEC_PROGRAM=''
  IOP_TCPSEC_CONFIG=''
  IOP_TCPSEC_LOG=''
  IOP_VERIFY_ARGS=()

  # <-- responder: waits for the IKE_SA_INIT request
  case $responder in
    strongswan)
      iop_inner_address "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER"
      iop_strongswan_config "$IOP_WORK/right" responder "$IOP_RIGHT_OUTER" "" \
        "$IOP_RIGHT_LAN" "$IOP_LEFT_LAN"
      iop_strongswan_start "$IOP_NS_RIGHT" "$IOP_WORK/right"
      IOP_VERIFY_ARGS+=(--charon-log "$IOP_WORK/right/charon.log:responder")
      ;;
    tcpsec)
      mkdir -p "$IOP_WORK/right"
      iop_tcpsec_config "$IOP_WORK/right/hub.conf" responder "$IOP_RIGHT_OUTER" "" \
        "$IOP_RIGHT_LAN" "$IOP_LEFT_LAN" "$IOP_RIGHT_INNER" "$IOP_WORK/right/control.sock"
      iop_tcpsec_check_config "$gateway_dir/tcpsec-hub" "$IOP_WORK/right/hub.conf"
      iop_tcpsec_start "$IOP_NS_RIGHT" "$gateway_dir/tcpsec-hub" "$IOP_WORK/right/hub.conf" \
        "$IOP_WORK/right/keylog" "$IOP_WORK/right/tcpsec.log"
      IOP_VERIFY_ARGS+=(--keylog "$IOP_WORK/right/keylog")
      IOP_TCPSEC_PROGRAM=$gateway_dir/tcpsec-hub
      IOP_TCPSEC_CONFIG=$IOP_WORK/right/hub.conf
      IOP_TCPSEC_LOG=$IOP_WORK/right/tcpsec.log
      ;;
    *) iop_fail "unknown implementation '$responder' (expected strongswan or tcpsec)" ;;
  esac

  # --> initiator: IKE_SA_INIT, IKE_AUTH with the first Child SA
  case $initiator in
    strongswan)
      iop_inner_address "$IOP_NS_LEFT" "$IOP_LEFT_INNER"
      iop_strongswan_config "$IOP_WORK/left" initiator "$IOP_LEFT_OUTER" "$IOP_RIGHT_OUTER" \
        "$IOP_LEFT_LAN" "$IOP_RIGHT_LAN"
      iop_strongswan_start "$IOP_NS_LEFT" "$IOP_WORK/left"
      IOP_VERIFY_ARGS+=(--charon-log "$IOP_WORK/left/charon.log:initiator")
      iop_strongswan_initiate "$IOP_WORK/left"
      ;;
    tcpsec)
      mkdir -p "$IOP_WORK/left"
      iop_tcpsec_config "$IOP_WORK/left/spoke.conf" initiator "$IOP_LEFT_OUTER" "$IOP_RIGHT_OUTER" \
        "$IOP_LEFT_LAN" "$IOP_RIGHT_LAN" "$IOP_LEFT_INNER" "$IOP_WORK/left/control.sock"
      iop_tcpsec_check_config "$gateway_dir/tcpsec-spoke" "$IOP_WORK/left/spoke.conf"
      iop_tcpsec_start "$IOP_NS_LEFT" "$gateway_dir/tcpsec-spoke" "$IOP_WORK/left/spoke.conf" \
        "$IOP_WORK/left/keylog" "$IOP_WORK/left/tcpsec.log"
      IOP_VERIFY_ARGS+=(--keylog "$IOP_WORK/left/keylog")
      IOP_TCPSEC_PROGRAM=$gateway_dir/tcpsec-spoke
      IOP_TCPSEC_CONFIG=$IOP_WORK/left/spoke.conf
      IOP_TCPSEC_LOG=$IOP_WORK/left/tcpsec.log
      # The spoke initiates by itself, and strongSwan responds on the right.
      iop_wait_for 200 iop_strongswan_installed "$IOP_WORK/right" ||
        iop_fail "no Child SA installed on the strongSwan responder within 20 s"
      ;;
    *) iop_fail "unknown implementation '$initiator' (expected strongswan or tcpsec)" ;;
  esac
}

# Write the status of the running tcpsec program to FILE.
iop_tcpsec_status() {
  local file=$1
  "$IOP_TCPSEC_PROGRAM" -c "$IOP_TCPSEC_CONFIG" status >"$file" 2>&1 ||
    iop_fail "'$(basename "$IOP_TCPSEC_PROGRAM") status' failed: $(cat "$file")"
}

# ---- continuous ping ------------------------------------------------------

# Start a ping at 5 echo requests per second from SRC in NS to DST, with a
# timestamp on every line. It runs until iop_ping_stop.
iop_ping_start() {
  local ns=$1 src=$2 dst=$3 file=$4
  iop_spawn "$ns" "$file" ping -n -D -O -i 0.2 -W 1 -I "$src" "$dst"
  IOP_PING_PID=$IOP_LAST_PID
  IOP_PING_LOG=$file
}

# Stop the ping and count the echo requests without a reply. Sets
# IOP_PING_SENT (the highest sequence number answered: later requests were
# still in flight when the ping stopped), IOP_PING_LOST and
# IOP_PING_LOST_LIST (sequence numbers, each with the local time at which
# ping reported it unanswered when ping printed one).
iop_ping_stop() {
  local result
  # SIGINT makes ping print its summary; SIGTERM follows if it lingers.
  kill -INT "$IOP_PING_PID" 2>/dev/null
  iop_wait_for 30 sh -c "! kill -0 $IOP_PING_PID 2>/dev/null" || true
  iop_stop_pid "$IOP_PING_PID"
  result=$(awk '
    /bytes from/ {
      for (i = 1; i <= NF; i++)
        if ($i ~ /^icmp_seq=/) {
          seq = substr($i, 10) + 0
          answered[seq] = 1
          if (seq > highest) highest = seq
        }
    }
    /no answer yet/ {
      for (i = 1; i <= NF; i++)
        if ($i ~ /^icmp_seq=/) sent_at[substr($i, 10) + 0] = $1
    }
    END {
      lost = 0
      for (seq = 1; seq <= highest; seq++)
        if (!(seq in answered)) {
          lost++
          list = list " " seq (seq in sent_at ? "@" sent_at[seq] : "")
        }
      printf "%d %d%s\n", highest, lost, list
    }' "$IOP_PING_LOG")
  read -r IOP_PING_SENT IOP_PING_LOST IOP_PING_LOST_LIST <<<"$result"

  # Local times as charon's log shows them, in place of ping's [epoch].
  local entry epoch times=""
  for entry in $IOP_PING_LOST_LIST; do
    epoch=${entry#*@[}
    if [ "$epoch" != "$entry" ]; then
      entry="${entry%%@*}@$(date -d "@${epoch%]}" +%H:%M:%S.%3N)"
    fi
    times+=" $entry"
  done
  IOP_PING_LOST_LIST=$times
}
