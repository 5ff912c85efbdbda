# shellcheck shell=bash
#
# The reference scenario on top of topology.sh: configuration files for the
# hub and the two spokes, starting the daemons, waiting for the tunnels,
# and the checks the end-to-end tests and the demo share.
#
# Settings (environment):
#   REF_BUILD   build directory holding examples/gateway/tcpsec-{hub,spoke}
#   REF_MODE    rfc9329 | segments | auto
#   REF_PLACEMENT  behind (default) | ahead: segment sequence numbers
#   REF_PSK_C   pre-shared key of spoke C (default: the right one)

REF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=topology.sh
source "$REF_DIR/topology.sh"

REF_BUILD=${REF_BUILD:-$REF_DIR/../../build}
REF_MODE=${REF_MODE:-rfc9329}
REF_PLACEMENT=${REF_PLACEMENT:-behind}
REF_PSK="tcpsec-e2e-3f1d9a6c0b72e845"
REF_PSK_C=${REF_PSK_C:-$REF_PSK}
REF_FAILED=0
REF_PASSED=0

ref_check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok: $what"
    REF_PASSED=$((REF_PASSED + 1))
  else
    echo "FAIL: $what"
    REF_FAILED=$((REF_FAILED + 1))
  fi
}

ref_system_block() {
  cat <<EOF
config system settings
    set ike-tcp-service enable
    set ike-tcp-port 1443
end
EOF
}

# Hub: dial-up on 203.0.113.249, TCP port 1443. Its local subnet is
# 0.0.0.0/0 rather than only LAN D so that spoke-to-spoke traffic, which
# the hub forwards, matches its selectors.
ref_write_hub_conf() {
  local esp=disable
  [ "$REF_MODE" = segments ] && esp=enable
  {
    ref_system_block
    cat <<EOF
config vpn ipsec phase1-interface
    edit "Hub"
        set type dynamic
        set interface "port3"
        set local-gw $TOPO_HUB_ADDR
        set ike-version 2
        set peertype any
        set net-device disable
        set proposal aes128-sha256 aes256-sha256 aes128gcm-prfsha256 aes256gcm-prfsha384 chacha20poly1305-prfsha256
        set dhgrp 20 21
        set fortinet-esp $esp
        set psksecret "$REF_PSK"
    next
end
config vpn ipsec phase2-interface
    edit "Hub"
        set phase1name "Hub"
        set proposal aes128-sha256 aes256-sha256 aes128gcm aes256gcm chacha20poly1305
        set dhgrp 20 21
        set src-subnet 0.0.0.0/0
        set dst-subnet 0.0.0.0/0
    next
end
config tcpsec system
    set control-socket "$TOPO_WORKDIR/hub.sock"
end
config tcpsec tunnel
    edit "Hub"
        set tun-name "tcpsec0"
        set routes 192.168.111.0/24 192.168.112.0/24
        set segment-sequence $REF_PLACEMENT
    next
end
EOF
  } >"$TOPO_WORKDIR/hub.conf"
}

# ref_write_spoke_conf NAME WAN LAN OTHER_LAN PSK
ref_write_spoke_conf() {
  local name=$1 wan=$2 lan=$3 other=$4 psk=$5 esp=disable transport=tcp
  [ "$REF_MODE" = segments ] && esp=enable
  [ "$REF_MODE" = auto ] && transport=auto
  {
    ref_system_block
    cat <<EOF
config vpn ipsec phase1-interface
    edit "spoke"
        set interface "wan1"
        set local-gw $wan
        set ike-version 2
        set peertype any
        set net-device disable
        set proposal aes128-sha256 aes256-sha256 aes128gcm-prfsha256 aes256gcm-prfsha384 chacha20poly1305-prfsha256
        set dhgrp 20 21
        set transport $transport
        set auto-transport-threshold 3
        set fortinet-esp $esp
        set remote-gw $TOPO_HUB_ADDR
        set psksecret "$psk"
    next
end
config vpn ipsec phase2-interface
    edit "spoke"
        set phase1name "spoke"
        set proposal aes128-sha256 aes256-sha256 aes128gcm aes256gcm chacha20poly1305
        set dhgrp 20 21
        set src-subnet $lan
        set dst-subnet 0.0.0.0/0
    next
end
config tcpsec system
    set control-socket "$TOPO_WORKDIR/$name.sock"
end
config tcpsec tunnel
    edit "spoke"
        set tun-name "tcpsec0"
        set routes 10.88.0.0/24 $other
        set segment-sequence $REF_PLACEMENT
    next
end
EOF
  } >"$TOPO_WORKDIR/$name.conf"
}

ref_hub_status() {
  "$REF_BUILD/examples/gateway/tcpsec-hub" -c "$TOPO_WORKDIR/hub.conf" status
}

ref_spoke_status() {
  "$REF_BUILD/examples/gateway/tcpsec-spoke" -c "$TOPO_WORKDIR/$1.conf" status
}

# Start the hub and both spokes; spoke logs go to spokeA.log and
# spokeC.log in the work directory.
ref_start() {
  local gw=$REF_BUILD/examples/gateway
  ref_write_hub_conf
  ref_write_spoke_conf spokeA "$TOPO_SPOKE_A_ADDR" 192.168.111.0/24 \
    192.168.112.0/24 "$REF_PSK"
  ref_write_spoke_conf spokeC "$TOPO_SPOKE_C_ADDR" 192.168.112.0/24 \
    192.168.111.0/24 "$REF_PSK_C"
  topology_spawn "$TOPO_NS_FGT_D" "$TOPO_WORKDIR/hub.log" \
    "$gw/tcpsec-hub" -c "$TOPO_WORKDIR/hub.conf" -l debug
  for _ in $(seq 50); do
    [ -S "$TOPO_WORKDIR/hub.sock" ] && break
    sleep 0.1
  done
  topology_spawn "$TOPO_NS_FGT_A" "$TOPO_WORKDIR/spokeA.log" \
    "$gw/tcpsec-spoke" -c "$TOPO_WORKDIR/spokeA.conf" -l debug
  REF_PID_SPOKE_A=$TOPO_LAST_PID
  topology_spawn "$TOPO_NS_FGT_C" "$TOPO_WORKDIR/spokeC.log" \
    "$gw/tcpsec-spoke" -c "$TOPO_WORKDIR/spokeC.conf" -l debug
}

# Wait until the hub's status shows `count` established instances.
ref_wait_instances() {
  local count=$1 timeout=${2:-30} n
  for _ in $(seq $((timeout * 5))); do
    n=$(ref_hub_status 2>/dev/null | grep -c "status: established")
    [ "$n" -ge "$count" ] && return 0
    sleep 0.2
  done
  return 1
}

# ref_ping NS DST: three pings must all come back.
ref_ping() {
  topology_exec "$1" ping -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1
}

# ref_bulk SERVER_NS SERVER_ADDR CLIENT_NS BYTES
ref_bulk() {
  local sns=$1 saddr=$2 cns=$3 bytes=$4 port=$((20000 + RANDOM % 20000))
  topology_spawn "$sns" "$TOPO_WORKDIR/bulk-server-$port.log" \
    python3 "$REF_DIR/bulk.py" serve "$port"
  sleep 0.3
  topology_exec "$cns" python3 "$REF_DIR/bulk.py" send "$saddr" "$port" \
    "$bytes"
}

# Everything that crossed the carrier is TCP to or from port 1443.
ref_only_tcp_1443() {
  local others
  others=$(tcpdump -nn -r "$1" 'ip and not (tcp port 1443)' 2>/dev/null |
    wc -l)
  [ "$others" -eq 0 ]
}

ref_dump_logs() {
  local f
  for f in "$TOPO_WORKDIR"/*.log; do
    echo "---- $(basename "$f") (last 30 lines)"
    tail -n 30 "$f"
  done
}
