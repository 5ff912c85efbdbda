# shellcheck shell=bash
#
# The reference scenario in network namespaces, for the end-to-end tests.
# Source this file, then call topology_up; everything it creates is removed
# by topology_down, which an EXIT trap also runs on failure.
#
#   LAN A 192.168.111.0/24                              LAN D 10.88.0.0/24
#   lanA .10 -- port4 .1 FGT_A wan1 198.51.100.41 --.      lanD .10
#                                                    |         |
#                              FGT_B inside 198.51.100.1   port2 .1
#                              (bridge, masquerade,   FGT_D (hub)
#                               UDP and ESP dropped)  port3 203.0.113.249
#                              outside 203.0.113.3 ------------'
#                                                    |
#   lanC .10 -- port4 .1 FGT_C wan1 198.51.100.42 --'
#   LAN C 192.168.112.0/24
#
# Namespace names start with TOPO_PREFIX (default tse2e<pid>-), so parallel
# runs do not collide. Both ends of every veth pair are created directly in
# their namespaces, so no interface ever exists in the caller's namespace
# and the names inside (wan1, port3, ...) only need to be unique per
# namespace. Only documentation and private addresses are used, and no
# namespace has a route out of the topology.
#
# Settings (environment, read by topology_up):
#   TOPO_PREFIX               namespace name prefix
#   TOPOLOGY_TCP_BE_LIBERAL   1 (default) or 0: net.netfilter.
#                             nf_conntrack_tcp_be_liberal in FGT_B; 0 is the
#                             strict tracking that marks out-of-window
#                             segments invalid.

TOPO_PREFIX=${TOPO_PREFIX:-tse2e$$-}
TOPO_NS_LAN_A=${TOPO_PREFIX}lanA
TOPO_NS_FGT_A=${TOPO_PREFIX}fgtA
TOPO_NS_LAN_C=${TOPO_PREFIX}lanC
TOPO_NS_FGT_C=${TOPO_PREFIX}fgtC
TOPO_NS_FGT_B=${TOPO_PREFIX}fgtB
TOPO_NS_FGT_D=${TOPO_PREFIX}fgtD
TOPO_NS_LAN_D=${TOPO_PREFIX}lanD
TOPO_ALL_NS="$TOPO_NS_LAN_A $TOPO_NS_FGT_A $TOPO_NS_LAN_C $TOPO_NS_FGT_C \
$TOPO_NS_FGT_B $TOPO_NS_FGT_D $TOPO_NS_LAN_D"

TOPO_HUB_ADDR=203.0.113.249
TOPO_NAT_OUTSIDE=203.0.113.3
TOPO_NAT_INSIDE=198.51.100.1
TOPO_SPOKE_A_ADDR=198.51.100.41
TOPO_SPOKE_C_ADDR=198.51.100.42
TOPO_LAN_A_HOST=192.168.111.10
TOPO_LAN_C_HOST=192.168.112.10
TOPO_LAN_D_HOST=10.88.0.10

TOPO_PIDS=()
TOPO_WORKDIR=

topology_log() {
  echo "topology: $*" >&2
}

# Run a command inside a namespace.
topology_exec() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# Start a command inside a namespace in the background, output to a file.
# The PID is recorded so that topology_down ends it.
topology_spawn() {
  local ns=$1 out=$2
  shift 2
  ip netns exec "$ns" "$@" >"$out" 2>&1 &
  TOPO_PIDS+=($!)
  TOPO_LAST_PID=$!
}

# veth pair with one end in each namespace, both up, with addresses (an
# empty address adds none). Returns non-zero when a step fails.
topology_link() {
  local ns1=$1 if1=$2 addr1=$3 ns2=$4 if2=$5 addr2=$6
  ip link add "$if1" netns "$ns1" type veth peer name "$if2" netns "$ns2" ||
    return 1
  if [ -n "$addr1" ]; then
    ip -n "$ns1" addr add "$addr1" dev "$if1" || return 1
  fi
  if [ -n "$addr2" ]; then
    ip -n "$ns2" addr add "$addr2" dev "$if2" || return 1
  fi
  ip -n "$ns1" link set "$if1" up && ip -n "$ns2" link set "$if2" up
}

topology_set_liberal() {
  topology_exec "$TOPO_NS_FGT_B" sysctl -q -w \
    "net.netfilter.nf_conntrack_tcp_be_liberal=$1" >/dev/null
}

topology_nat_rules() {
  topology_exec "$TOPO_NS_FGT_B" nft -f - <<'EOF'
table inet tse2e_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "outside" masquerade
  }
}
table inet tse2e_carrier {
  chain forward {
    type filter hook forward priority filter; policy accept;
    meta l4proto { udp, esp } counter drop
  }
}
EOF
}

# Build the topology. Returns non-zero, after logging the failed step, when
# any step fails; topology_down still removes what was made.
topology_up() {
  trap topology_down EXIT
  trap 'exit 130' INT TERM
  if ! topology_build; then
    topology_log "setup failed; see the messages above"
    return 1
  fi
  topology_log "up: namespaces ${TOPO_PREFIX}*, workdir $TOPO_WORKDIR"
}

topology_build() {
  local ns
  TOPO_WORKDIR=$(mktemp -d "/tmp/${TOPO_PREFIX}XXXXXX") || return 1

  for ns in $TOPO_ALL_NS; do
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up || return 1
  done

  # LANs and their gateways.
  topology_link "$TOPO_NS_LAN_A" eth0 "$TOPO_LAN_A_HOST/24" \
    "$TOPO_NS_FGT_A" port4 192.168.111.1/24 || return 1
  topology_link "$TOPO_NS_LAN_C" eth0 "$TOPO_LAN_C_HOST/24" \
    "$TOPO_NS_FGT_C" port4 192.168.112.1/24 || return 1
  topology_link "$TOPO_NS_LAN_D" eth0 "$TOPO_LAN_D_HOST/24" \
    "$TOPO_NS_FGT_D" port2 10.88.0.1/24 || return 1

  # Spoke WANs on one segment behind FGT_B: a bridge in FGT_B.
  ip -n "$TOPO_NS_FGT_B" link add inside type bridge || return 1
  topology_link "$TOPO_NS_FGT_A" wan1 "$TOPO_SPOKE_A_ADDR/24" \
    "$TOPO_NS_FGT_B" inA "" || return 1
  topology_link "$TOPO_NS_FGT_C" wan1 "$TOPO_SPOKE_C_ADDR/24" \
    "$TOPO_NS_FGT_B" inC "" || return 1
  ip -n "$TOPO_NS_FGT_B" link set inA master inside || return 1
  ip -n "$TOPO_NS_FGT_B" link set inC master inside || return 1
  ip -n "$TOPO_NS_FGT_B" addr add "$TOPO_NAT_INSIDE/24" dev inside || return 1
  ip -n "$TOPO_NS_FGT_B" link set inside up || return 1

  # The carrier between the NAT and the hub.
  topology_link "$TOPO_NS_FGT_B" outside "$TOPO_NAT_OUTSIDE/24" \
    "$TOPO_NS_FGT_D" port3 "$TOPO_HUB_ADDR/24" || return 1

  # Routes: LAN hosts to their gateway, spokes to the NAT. The hub has no
  # route to the spokes' private addresses: it reaches only the NAT's
  # outside address.
  ip -n "$TOPO_NS_LAN_A" route add default via 192.168.111.1 || return 1
  ip -n "$TOPO_NS_LAN_C" route add default via 192.168.112.1 || return 1
  ip -n "$TOPO_NS_LAN_D" route add default via 10.88.0.1 || return 1
  ip -n "$TOPO_NS_FGT_A" route add default via "$TOPO_NAT_INSIDE" || return 1
  ip -n "$TOPO_NS_FGT_C" route add default via "$TOPO_NAT_INSIDE" || return 1
  for ns in "$TOPO_NS_FGT_A" "$TOPO_NS_FGT_B" "$TOPO_NS_FGT_C" \
            "$TOPO_NS_FGT_D"; do
    topology_exec "$ns" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || return 1
  done

  # Loading the NAT table loads conntrack, whose sysctls exist only then.
  topology_nat_rules || return 1
  topology_set_liberal "${TOPOLOGY_TCP_BE_LIBERAL:-1}" || return 1
}

# Capture on an interface into a pcap file until topology_capture_stop.
topology_capture_start() {
  local ns=$1 iface=$2 file=$3
  shift 3
  # --immediate-mode: packets are written as they arrive, not when a ring
  # block fills, so none are lost when the capture is stopped.
  topology_exec "$ns" tcpdump -n -U --immediate-mode -i "$iface" -w "$file" "$@" \
    >"$file.log" 2>&1 &
  TOPO_CAPTURE_PID=$!
  TOPO_PIDS+=("$TOPO_CAPTURE_PID")
  # tcpdump prints "listening on" once the capture runs.
  for _ in $(seq 50); do
    grep -q "listening on" "$file.log" 2>/dev/null && return 0
    sleep 0.1
  done
  topology_log "capture on $iface in $ns did not start: $(cat "$file.log")"
  return 1
}

topology_capture_stop() {
  [ -n "${TOPO_CAPTURE_PID:-}" ] || return 0
  sleep 0.3 # let the last packets reach the file
  # SIGTERM, not SIGINT: a background job of a script ignores SIGINT.
  topology_stop_pids "$TOPO_CAPTURE_PID"
  TOPO_CAPTURE_PID=
}

# End processes by PID: SIGTERM, then SIGKILL for those still running
# after 2 s, then reap them.
topology_stop_pids() {
  local pid alive
  for pid in "$@"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for _ in $(seq 20); do
    alive=0
    for pid in "$@"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "$@"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
}

# Remove everything topology_up created. Safe to call more than once.
topology_down() {
  local ns pid
  if [ ${#TOPO_PIDS[@]} -gt 0 ]; then
    topology_stop_pids "${TOPO_PIDS[@]}"
  fi
  TOPO_PIDS=()
  for ns in $TOPO_ALL_NS; do
    [ -e "/run/netns/$ns" ] || continue
    # Processes the test started inside the namespace, by their PIDs.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
  done
  if [ -n "$TOPO_WORKDIR" ] && [ -d "$TOPO_WORKDIR" ]; then
    rm -rf "$TOPO_WORKDIR"
  fi
  TOPO_WORKDIR=
}
