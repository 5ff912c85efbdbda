#!/usr/bin/env bash
# Smoke test of the end-to-end topology (topology.sh) and of the platform
# layer inside it. Proves that:
#   - the LAN hosts reach their gateway namespaces;
#   - TCP from each spoke reaches the hub at 203.0.113.249:1443 and arrives
#     from the NAT's address 203.0.113.3;
#   - UDP 500/4500 and ESP from the spokes do not reach the hub, while the
#     same traffic sent by the NAT namespace itself does (so the listener
#     works);
#   - conntrack's TCP tracking in the NAT is liberal by default and can be
#     made strict;
#   - the capture helper records the traffic on the hub's carrier side;
#   - the platform layer opens and configures a TUN device in a namespace
#     and replies to a ping through it;
#   - the packet socket receives a raw segment sent with the raw socket,
#     and the nftables rule drops it before the TCP stack;
#   - cleanup leaves no namespace behind.
#
# Usage: test_topology.sh [PATH-TO-e2e_probe]
# Exit 77 with "skipped: ..." without root or `ip netns`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
probe=${1:-}

if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: needs root"
  exit 77
fi
if ! ip netns list >/dev/null 2>&1; then
  echo "skipped: ip netns is unavailable"
  exit 77
fi
for tool in nft python3 ping; do
  if ! command -v "$tool" >/dev/null; then
    echo "skipped: $tool is not installed"
    exit 77
  fi
done

passed=0
failed=0
# Run a command with its output discarded, for checks that only need the
# exit status.
quiet() {
  "$@" >/dev/null 2>&1
}
check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok: $name"
    passed=$((passed + 1))
  else
    echo "FAILED: $name"
    failed=$((failed + 1))
  fi
}

# shellcheck source=topology.sh
. "$here/topology.sh"
run_test() {
  topology_up || return 1
  local work=$TOPO_WORKDIR

  # ---- addressing and NAT settings
  check "LAN A host reaches spoke A" \
    quiet topology_exec "$TOPO_NS_LAN_A" ping -c 1 -W 2 192.168.111.1
  check "LAN C host reaches spoke C" \
    quiet topology_exec "$TOPO_NS_LAN_C" ping -c 1 -W 2 192.168.112.1
  check "LAN D host reaches the hub" \
    quiet topology_exec "$TOPO_NS_LAN_D" ping -c 1 -W 2 10.88.0.1
  liberal() {
    [ "$(topology_exec "$TOPO_NS_FGT_B" sysctl -n \
          net.netfilter.nf_conntrack_tcp_be_liberal)" = "$1" ]
  }
  check "NAT tracks TCP liberally by default" liberal 1

  # ---- TCP through the NAT, with a capture on the carrier
  local capture_ok=1
  if command -v tcpdump >/dev/null; then
    topology_capture_start "$TOPO_NS_FGT_D" port3 "$work/carrier.pcap" \
      tcp port 1443 || capture_ok=0
  else
    echo "note: tcpdump is not installed; capture check skipped"
    capture_ok=2
  fi
  topology_spawn "$TOPO_NS_FGT_D" "$work/tcp-server.out" python3 -c '
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("203.0.113.249", 1443))
server.listen(4)
server.settimeout(10)
print("listening", flush=True)
for _ in range(2):
    conn, peer = server.accept()
    data = conn.recv(64)
    print("from %s:%d got %s" % (peer[0], peer[1], data.decode()), flush=True)
    conn.sendall(b"ok")
    conn.close()
'
  local server_pid=$TOPO_LAST_PID
  for _ in $(seq 50); do
    grep -q listening "$work/tcp-server.out" && break
    sleep 0.1
  done
  tcp_client() {
    topology_exec "$1" python3 -c '
import socket, sys
s = socket.create_connection(("203.0.113.249", 1443), timeout=5)
s.sendall(sys.argv[1].encode())
sys.exit(0 if s.recv(2) == b"ok" else 1)
' "$2"
  }
  check "TCP from spoke A reaches the hub" tcp_client "$TOPO_NS_FGT_A" IKETCP-A
  check "TCP from spoke C reaches the hub" tcp_client "$TOPO_NS_FGT_C" IKETCP-C
  wait "$server_pid" 2>/dev/null
  check "hub sees spoke A from 203.0.113.3" \
    grep -Eq "^from 203\.0\.113\.3:[0-9]+ got IKETCP-A$" "$work/tcp-server.out"
  check "hub sees spoke C from 203.0.113.3" \
    grep -Eq "^from 203\.0\.113\.3:[0-9]+ got IKETCP-C$" "$work/tcp-server.out"
  if [ "$capture_ok" = 1 ]; then
    topology_capture_stop
    check "capture holds the NATed connection" bash -c \
      "tcpdump -n -r '$work/carrier.pcap' 2>/dev/null |
         grep -q '203\.0\.113\.3\.[0-9]* > 203\.0\.113\.249\.1443'"
  elif [ "$capture_ok" = 0 ]; then
    check "capture starts" false
  fi

  # ---- UDP 500/4500 and ESP are dropped, except from the NAT itself
  topology_spawn "$TOPO_NS_FGT_D" "$work/blocked.out" python3 -c '
import select, socket, time
socks = []
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("203.0.113.249", port))
    socks.append(s)
esp = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
socks.append(esp)
print("listening", flush=True)
end = time.time() + 4
while time.time() < end:
    ready, _, _ = select.select(socks, [], [], 0.2)
    for s in ready:
        data, peer = s.recvfrom(2048)
        if s is esp:
            data = data[(data[0] & 15) * 4 + 8:]   # after IP header and SPI/seq
            print("esp from %s %s" % (peer[0], data.decode(errors="replace")), flush=True)
        else:
            print("udp %d from %s %s" % (s.getsockname()[1], peer[0], data.decode()), flush=True)
'
  local blocked_pid=$TOPO_LAST_PID
  for _ in $(seq 50); do
    grep -q listening "$work/blocked.out" && break
    sleep 0.1
  done
  send_blocked() {
    topology_exec "$1" python3 -c '
import socket, sys
label = sys.argv[1]
for port in (500, 4500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(label.encode(), ("203.0.113.249", port))
esp = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
esp.sendto(b"\x00\x00\x10\x01\x00\x00\x00\x01" + label.encode(), ("203.0.113.249", 0))
' "$2"
  }
  send_blocked "$TOPO_NS_FGT_A" spoke-a
  send_blocked "$TOPO_NS_FGT_C" spoke-c
  send_blocked "$TOPO_NS_FGT_B" nat-itself
  wait "$blocked_pid" 2>/dev/null
  check "no UDP or ESP from spoke A at the hub" \
    bash -c "! grep -q spoke-a '$work/blocked.out'"
  check "no UDP or ESP from spoke C at the hub" \
    bash -c "! grep -q spoke-c '$work/blocked.out'"
  check "UDP 500 from the NAT itself arrives" \
    grep -q "^udp 500 from 203.0.113.3 nat-itself$" "$work/blocked.out"
  check "UDP 4500 from the NAT itself arrives" \
    grep -q "^udp 4500 from 203.0.113.3 nat-itself$" "$work/blocked.out"
  check "ESP from the NAT itself arrives" \
    grep -q "^esp from 203.0.113.3 nat-itself$" "$work/blocked.out"
  check "NAT counted the dropped packets" bash -c \
    "ip netns exec '$TOPO_NS_FGT_B' nft list table inet tse2e_carrier |
       grep -Eq 'counter packets ([6-9]|[1-9][0-9]+) '"

  topology_set_liberal 0
  check "NAT tracking can be made strict" liberal 0
  topology_set_liberal 1

  # ---- platform layer: TUN device and raw segments
  if [ -z "$probe" ] || [ ! -x "$probe" ]; then
    echo "note: e2e_probe not built; platform checks skipped"
    return 0
  fi
  topology_spawn "$TOPO_NS_FGT_A" "$work/tun.out" \
    "$probe" tun tse0 10.255.0.11/24 10.77.0.0/24 1400
  local tun_pid=$TOPO_LAST_PID
  for _ in $(seq 50); do
    grep -q "^ready" "$work/tun.out" && break
    sleep 0.1
  done
  check "TUN device has its address" bash -c \
    "ip -n '$TOPO_NS_FGT_A' -o addr show dev tse0 | grep -q 'inet 10.255.0.11/24'"
  check "TUN device has MTU 1400 and is up" bash -c \
    "ip -n '$TOPO_NS_FGT_A' link show dev tse0 | grep -q 'UP.* mtu 1400'"
  check "route goes through the TUN device" bash -c \
    "ip -n '$TOPO_NS_FGT_A' route show 10.77.0.0/24 | grep -q 'dev tse0'"
  check "ping answered through the TUN device" \
    quiet topology_exec "$TOPO_NS_FGT_A" ping -c 2 -i 0.2 -W 2 10.77.0.5
  wait "$tun_pid"
  check "TUN helper answered both echo requests" \
    grep -q "^answered 2$" "$work/tun.out"

  topology_spawn "$TOPO_NS_FGT_D" "$work/segments.out" \
    "$probe" segments 203.0.113.249 1443 81de5114 1500
  local segments_pid=$TOPO_LAST_PID
  for _ in $(seq 50); do
    grep -q "^ready" "$work/segments.out" && break
    sleep 0.1
  done
  local table
  table=$(sed -n 's/^ready //p' "$work/segments.out")
  check "segment rule installed" test -n "$table"
  check "raw segment sent from the NAT" quiet topology_exec "$TOPO_NS_FGT_B" \
    "$probe" send 203.0.113.3 7782 203.0.113.249 1443 0x40000000 \
    81de5114000000010102030405060708
  for _ in $(seq 50); do
    grep -q "^segment" "$work/segments.out" && break
    sleep 0.1
  done
  check "packet socket received the segment" grep -Eq \
    "^segment 203\.0\.113\.3:7782 -> 203\.0\.113\.249:1443 payload 16 first 81de5114" \
    "$work/segments.out"
  check "nftables rule dropped it before TCP" bash -c \
    "ip netns exec '$TOPO_NS_FGT_D' nft list table inet '$table' |
       grep -q 'counter packets 1 '"
  wait "$segments_pid"
  check "segment rule removed at exit" bash -c \
    "! ip netns exec '$TOPO_NS_FGT_D' nft list tables | grep -q '$table'"
  return 0
}

run_test
topology_down
trap - EXIT

# Other tests may add and remove namespaces at the same time, so only this
# run's own prefix is checked.
check "no namespace of this run remains" \
  bash -c "! ip netns list | grep -q '^$TOPO_PREFIX'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
