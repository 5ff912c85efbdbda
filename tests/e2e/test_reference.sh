#!/usr/bin/env bash
# The reference scenario end to end, in network namespaces this script
# creates and removes: two spokes behind a NAT that drops UDP and ESP, a
# dial-up hub on TCP port 1443, real traffic through TUN devices.
#
#   test_reference.sh BUILD_DIR SCENARIO
#
# SCENARIO is one of
#   rfc9329           RFC 9329 stream encapsulation
#   segments-strict   Fortinet-style segments, sequence numbers behind the
#                     sender's position, NAT with strict TCP tracking
#   segments-ahead    Fortinet-style segments, numbers ahead, liberal NAT
#   auto              transport auto: UDP first, TCP after 3 s
#   failures          wrong PSK on one spoke; the TCP connection of the
#                     other reset mid-transfer
#
# Exits 77 with "skipped: ..." when not root or a tool is missing.
set -u

build=${1:?usage: test_reference.sh BUILD_DIR SCENARIO}
scenario=${2:?usage: test_reference.sh BUILD_DIR SCENARIO}

skip() {
  echo "skipped: $1"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
for tool in ip nft tcpdump python3 ping tshark; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[ -x "$build/examples/gateway/tcpsec-hub" ] || skip "tcpsec-hub not built"

REF_BUILD=$(cd "$build" && pwd)
case "$scenario" in
  rfc9329 | failures) REF_MODE=rfc9329 ;;
  segments-strict)
    REF_MODE=segments
    TOPOLOGY_TCP_BE_LIBERAL=0
    ;;
  segments-ahead)
    REF_MODE=segments
    REF_PLACEMENT=ahead
    TOPOLOGY_TCP_BE_LIBERAL=1
    ;;
  auto) REF_MODE=auto ;;
  *)
    echo "unknown scenario $scenario"
    exit 2
    ;;
esac
[ "$scenario" = failures ] && REF_PSK_C="tcpsec-e2e-this-is-the-wrong-key"
export TOPOLOGY_TCP_BE_LIBERAL
# shellcheck source=reference.sh
source "$(dirname "$0")/reference.sh"

finish() {
  [ "$REF_FAILED" -gt 0 ] && ref_dump_logs
  echo "$REF_PASSED passed, $REF_FAILED failed"
  [ "$REF_FAILED" -eq 0 ]
  exit $?
}

topology_up || exit 1
topology_capture_start "$TOPO_NS_FGT_D" port3 "$TOPO_WORKDIR/carrier.pcap" ||
  exit 1
ref_start

# ---- the tunnels come up ---------------------------------------------------

if [ "$scenario" = failures ]; then
  ref_check "spoke A's tunnel is up" ref_wait_instances 1 30
  sleep 2
  ref_check "hub has one established instance, not two" \
    [ "$(ref_hub_status | grep -c 'status: established')" -eq 1 ]
  ref_check "spoke C logs the authentication failure" \
    grep -qiE "AUTHENTICATION_FAILED|authentication failed" \
    "$TOPO_WORKDIR/spokeC.log"
  ref_check "LAN A reaches LAN D" ref_ping "$TOPO_NS_LAN_A" "$TOPO_LAN_D_HOST"
  ref_check "LAN C cannot reach LAN D" \
    bash -c "! ip netns exec $TOPO_NS_LAN_C ping -c 2 -W 1 $TOPO_LAN_D_HOST \
      >/dev/null 2>&1"

  # Reset spoke A's TCP connection on the NAT in the middle of a bulk
  # transfer: the spoke reconnects and the inner TCP transfer completes.
  port=$((20000 + RANDOM % 20000))
  topology_spawn "$TOPO_NS_LAN_D" "$TOPO_WORKDIR/reset-server.log" \
    python3 "$REF_DIR/bulk.py" serve "$port"
  sleep 0.3
  topology_exec "$TOPO_NS_LAN_A" python3 "$REF_DIR/bulk.py" send \
    "$TOPO_LAN_D_HOST" "$port" 40000000 >"$TOPO_WORKDIR/reset-client.log" \
    2>&1 &
  client=$!
  # Reset once the transfer is under way: the hub has decrypted 2 MB.
  for _ in $(seq 200); do
    rxb=$(ref_hub_status | grep -oE 'rxb=[0-9]+' | cut -d= -f2 | sort -n |
      tail -1)
    [ "${rxb:-0}" -ge 2000000 ] && break
    sleep 0.05
  done
  topology_exec "$TOPO_NS_FGT_B" nft -f - <<'RULES'
table inet tse2e_reset {
  chain reset_forward {
    type filter hook forward priority -10; policy accept;
    tcp dport 1443 reject with tcp reset
  }
}
RULES
  sleep 1
  topology_exec "$TOPO_NS_FGT_B" nft delete table inet tse2e_reset
  wait "$client"
  rc=$?
  cat "$TOPO_WORKDIR/reset-client.log"
  ref_check "bulk transfer completes across a TCP reset" [ "$rc" -eq 0 ]
  ref_check "spoke A reconnected" \
    grep -q "TCP connection .* closed" "$TOPO_WORKDIR/spokeA.log"
  ref_check "the same IKE SA carries on (created 1)" \
    bash -c "$(declare -f ref_hub_status); TOPO_WORKDIR=$TOPO_WORKDIR \
      REF_BUILD=$REF_BUILD ref_hub_status | grep -q 'IKE SA: created 1 '"

  # SIGTERM: the spoke deletes its IKE SA before it exits.
  kill -TERM "$REF_PID_SPOKE_A"
  for _ in $(seq 50); do
    kill -0 "$REF_PID_SPOKE_A" 2>/dev/null || break
    sleep 0.1
  done
  ref_check "spoke A exits on SIGTERM" \
    bash -c "! kill -0 $REF_PID_SPOKE_A 2>/dev/null"
  ref_check "the hub saw spoke A's Delete" \
    grep -q "IKE SA deleted" "$TOPO_WORKDIR/hub.log"
  finish
fi

ref_check "both spokes have a dial-up instance on the hub" \
  ref_wait_instances 2 30
status=$(ref_hub_status)
echo "$status"

ref_check "instances are named Hub_1 and Hub_2" \
  bash -c "grep -q 'name: Hub_1' <<<\"\$0\" && grep -q 'name: Hub_2' <<<\"\$0\"" \
  "$status"
ref_check "transport is TCP for both" \
  [ "$(grep -c '^transport: TCP' <<<"$status")" -eq 2 ]
ref_check "remote gateway is the NAT's public address" \
  [ "$(grep -c "addr: $TOPO_HUB_ADDR:1443 -> $TOPO_NAT_OUTSIDE:" <<<"$status")" -eq 2 ]
ref_check "the hub sees the spokes behind NAT" \
  [ "$(grep -c '^nat: peer' <<<"$status")" -eq 2 ]

# ---- traffic -----------------------------------------------------------------

ref_check "ping LAN A -> LAN D" ref_ping "$TOPO_NS_LAN_A" "$TOPO_LAN_D_HOST"
ref_check "ping LAN D -> LAN A" ref_ping "$TOPO_NS_LAN_D" "$TOPO_LAN_A_HOST"
ref_check "ping LAN C -> LAN D" ref_ping "$TOPO_NS_LAN_C" "$TOPO_LAN_D_HOST"
ref_check "ping LAN D -> LAN C" ref_ping "$TOPO_NS_LAN_D" "$TOPO_LAN_C_HOST"
ref_check "ping LAN A -> LAN C through the hub" \
  ref_ping "$TOPO_NS_LAN_A" "$TOPO_LAN_C_HOST"
ref_check "ping LAN C -> LAN A through the hub" \
  ref_ping "$TOPO_NS_LAN_C" "$TOPO_LAN_A_HOST"

bytes=4000000
ref_check "bulk LAN A -> LAN D, $bytes bytes" \
  ref_bulk "$TOPO_NS_LAN_D" "$TOPO_LAN_D_HOST" "$TOPO_NS_LAN_A" "$bytes"
ref_check "bulk LAN D -> LAN C, $bytes bytes" \
  ref_bulk "$TOPO_NS_LAN_C" "$TOPO_LAN_C_HOST" "$TOPO_NS_LAN_D" "$bytes"
ref_check "bulk LAN C -> LAN A through the hub, $bytes bytes" \
  ref_bulk "$TOPO_NS_LAN_A" "$TOPO_LAN_A_HOST" "$TOPO_NS_LAN_C" "$bytes"

# Counters: each instance decrypted and encrypted at least the bulk bytes
# that crossed it (inner bytes include the IP and TCP headers).
tunnels=$(ref_hub_status)
echo "$tunnels" | grep -E "^name=|^stat:"
min_rx=$(grep -oE 'rxb=[0-9]+' <<<"$tunnels" | cut -d= -f2 | sort -n | head -1)
min_tx=$(grep -oE 'txb=[0-9]+' <<<"$tunnels" | cut -d= -f2 | sort -n | head -1)
ref_check "every instance decrypted at least $bytes bytes" \
  [ "${min_rx:-0}" -ge "$bytes" ]
ref_check "every instance encrypted at least $bytes bytes" \
  [ "${min_tx:-0}" -ge "$bytes" ]

# ---- what crossed the carrier -----------------------------------------------

topology_capture_stop
pcap=$TOPO_WORKDIR/carrier.pcap
ref_check "only TCP port 1443 crossed the carrier" ref_only_tcp_1443 "$pcap"

if [ "$REF_MODE" = segments ]; then
  # ESP segments are payload-carrying ACKs whose sequence number repeats.
  # The most frequent (source, sequence number) pair among the spokes'
  # payload segments must cover most of them, and the hub's kernel must
  # not send a duplicate ACK for each.
  fields=$TOPO_WORKDIR/segments.txt
  tshark -r "$pcap" -Y "tcp.port == 1443" -T fields -e ip.src \
    -e tcp.seq_raw -e tcp.len -e tcp.flags 2>/dev/null >"$fields"
  esp=$(awk -v hub="$TOPO_HUB_ADDR" '$1 != hub && $3 > 0 {print $1, $2}' \
    "$fields" | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
  flags=$(awk -v hub="$TOPO_HUB_ADDR" '$1 != hub && $3 > 0 {print $4}' \
    "$fields" | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
  pure_acks=$(awk -v hub="$TOPO_HUB_ADDR" '$1 == hub && $3 == 0' "$fields" |
    wc -l)
  echo "ESP segments with one repeated sequence number: ${esp:-0}," \
    "flags ${flags:-?}; pure ACKs from the hub: $pure_acks"
  ref_check "ESP segments repeat one sequence number (>= 1000)" \
    [ "${esp:-0}" -ge 1000 ]
  ref_check "ESP segments are plain ACKs" [ "${flags:-}" = "0x0010" ]
  ref_check "no duplicate ACK per ESP segment (pure ACKs < 5 %)" \
    [ $((pure_acks * 20)) -lt "${esp:-0}" ]
fi

if [ "$REF_MODE" = auto ]; then
  ref_check "the spokes tried UDP first" \
    grep -q "initiating IKE SA over UDP" "$TOPO_WORKDIR/spokeA.log"
  ref_check "then fell back to TCP" \
    grep -q "falling back to TCP" "$TOPO_WORKDIR/spokeA.log"
fi

finish
