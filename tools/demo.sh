#!/usr/bin/env bash
# Build tcpsec and run the reference scenario as a demo: two spokes behind
# a NAT that drops UDP and ESP reach a dial-up hub over TCP port 1443.
# Prints the topology, the hub's status and the ping results, then removes
# every namespace and process it made. Needs root (network namespaces).
#
#   tools/demo.sh [rfc9329|segments|auto]     (default: segments)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-segments}
case "$mode" in
  rfc9329 | segments | auto) ;;
  *)
    echo "usage: $0 [rfc9329|segments|auto]" >&2
    exit 2
    ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root to create network namespaces" >&2
  exit 1
fi

bash "$top/tools/install-deps.sh"
build=${BUILD_ROOT:-$top/out}/build
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target tcpsec-hub tcpsec-spoke

export REF_BUILD=$build REF_MODE=$mode
# shellcheck source=../tests/e2e/reference.sh
source "$top/tests/e2e/reference.sh"
set +e

echo
echo "tcpsec demo: the reference scenario, mode $mode"
echo "  LAN A 192.168.111.0/24 - spoke A 198.51.100.41 --+"
echo "                                                   +-- NAT 203.0.113.3 (drops UDP and ESP)"
echo "  LAN C 192.168.112.0/24 - spoke C 198.51.100.42 --+        |"
echo "                              hub 203.0.113.249, TCP port 1443 - LAN D 10.88.0.0/24"
case "$mode" in
  segments) echo "  IKE in the RFC 9329 stream, ESP as Fortinet-style TCP segments" ;;
  rfc9329) echo "  IKE and ESP in one RFC 9329 stream per spoke" ;;
  auto) echo "  the spokes try UDP first and move to TCP after 3 s without an answer" ;;
esac
echo

topology_up || exit 1
ref_start
if ! ref_wait_instances 2 30; then
  echo "demo: the tunnels did not come up; the logs follow"
  ref_dump_logs
  exit 1
fi

demo_ping() {
  echo "== ping $3"
  topology_exec "$1" ping -c 3 -i 0.2 "$2" | tail -n 2
}
demo_ping "$TOPO_NS_LAN_A" "$TOPO_LAN_D_HOST" "LAN A -> LAN D"
demo_ping "$TOPO_NS_LAN_D" "$TOPO_LAN_C_HOST" "LAN D -> LAN C"
demo_ping "$TOPO_NS_LAN_A" "$TOPO_LAN_C_HOST" "LAN A -> LAN C, through the hub"
echo
echo "== tcpsec-hub status (like diagnose vpn ike gateway list and tunnel list)"
ref_hub_status
echo "demo: done; removing the namespaces"
