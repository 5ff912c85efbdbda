#!/bin/bash
# Decodes real tcpsec-hub and tcpsec-spoke traffic over TCP with the Lua
# dissector tools/wireshark/tcpsec.lua. The two programs run in network
# namespaces made by this test (the strongSwan harness,
# tests/interop/strongswan/harness.sh, builds and removes them), first with
# ESP in the RFC 9329 stream (AES-GCM-16), then with Fortinet-style ESP
# segments (AES-CBC with HMAC-SHA2-256-128), on TCP port 1443. Ping runs
# both ways and 1 MB goes through the tunnel in each run.
#
# For each run, tshark with the dissector (-d tcp.port==1443,tcpsec) and
# the hub's key log (-k) must show exactly one "IKETCP" prefix, at least
# six IKE messages (IKE_SA_INIT, IKE_AUTH and the INFORMATIONAL Delete
# sent when the spoke stops), every SK payload decrypted with a correct
# integrity checksum, and every ESP packet authenticated (esp.icv_good).
# ESP must travel only in the stream in the first run and only as segments
# in the second. No frame may be malformed or carry an expert error.
#
# Argument: the tests/tshark build directory. Exit 77 when not root, or
# when tshark (with Lua), the tcpsec programs or a namespace tool is
# missing.
set -uo pipefail

build_dir=${1:?usage: test_lua_gateway.sh TSHARK_BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
lua=$here/../../tools/wireshark/tcpsec.lua
gateway_dir=$build_dir/../../examples/gateway
port=1443

# shellcheck source=../interop/strongswan/harness.sh
. "$here/../interop/strongswan/harness.sh"

[ "$(id -u)" -eq 0 ] || iop_skip "needs root for network namespaces"
for tool in tshark tcpdump socat nft ip python3 sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || iop_skip "$tool is not installed"
done
tshark -v 2>/dev/null | grep -q "with Lua" || iop_skip "tshark was built without Lua"
[ -c /dev/net/tun ] || iop_skip "/dev/net/tun is missing"
for program in tcpsec-hub tcpsec-spoke; do
  [ -x "$gateway_dir/$program" ] ||
    iop_skip "$program was not built ($gateway_dir/$program missing)"
done

iop_init
iop_topology direct
export IOP_TRANSPORT=tcp IOP_TCP_PORT=$port

# One run: start hub and spoke, pass traffic, stop the spoke (it sends the
# Delete), stop both, and check the capture.
#   run_mode NAME SUITE FORTINET_ESP ESP_ALGORITHM
# ESP_ALGORITHM is the Wireshark name the key log must give the ESP SAs,
# which shows that the configured suite was negotiated.
run_mode() {
  local name=$1 suite=$2 esp_algorithm=$4 dir=$IOP_WORK/$1
  export IOP_FORTINET_ESP=$3
  mkdir -p "$dir"
  iop_suite "$suite"
  iop_capture_start "$IOP_NS_RIGHT" wan "$dir/capture.pcap" "tcp port $port"

  iop_tcpsec_config "$dir/hub.conf" responder "$IOP_RIGHT_OUTER" "" \
    "$IOP_RIGHT_LAN" "$IOP_LEFT_LAN" "$IOP_RIGHT_INNER" "$dir/hub.sock"
  iop_tcpsec_start "$IOP_NS_RIGHT" "$gateway_dir/tcpsec-hub" "$dir/hub.conf" \
    "$dir/hub.keylog" "$dir/hub.log"
  local hub=$IOP_TCPSEC_PID
  iop_tcpsec_config "$dir/spoke.conf" initiator "$IOP_LEFT_OUTER" "$IOP_RIGHT_OUTER" \
    "$IOP_LEFT_LAN" "$IOP_RIGHT_LAN" "$IOP_LEFT_INNER" "$dir/spoke.sock"
  iop_tcpsec_start "$IOP_NS_LEFT" "$gateway_dir/tcpsec-spoke" "$dir/spoke.conf" \
    "$dir/spoke.keylog" "$dir/spoke.log"

  iop_ping "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_RIGHT_INNER"
  iop_ping "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" "$IOP_LEFT_INNER"
  iop_bulk "$IOP_NS_LEFT" "$IOP_LEFT_INNER" "$IOP_NS_RIGHT" "$IOP_RIGHT_INNER" 1000000 "$name"

  iop_stop_pid "$IOP_TCPSEC_PID"
  iop_stop_pid "$hub"
  iop_capture_stop "$dir/capture.pcap"

  # tshark 4.0 reads quoted byte fields of the IKE table as text, so the
  # hex fields of IKE rows are unquoted. Rows commented out are skipped.
  local options=() row
  while IFS= read -r row; do
    case $row in
      '#'* | '') continue ;;
      uat:ikev2_decryption_table:*) row=$(printf '%s' "$row" | sed -E 's/"([0-9a-f]*)"/\1/g') ;;
    esac
    options+=(-o "$row")
  done <"$dir/hub.keylog"
  [ ${#options[@]} -gt 0 ] || iop_fail "$name: tcpsec-hub wrote no key rows to its key log (-k)"
  grep '^uat:esp_sa:' "$dir/hub.keylog" | grep -qF "\"$esp_algorithm\"" ||
    iop_fail "$name: no ESP SA with $esp_algorithm in the key log, so $suite was not negotiated: $(grep esp_sa "$dir/hub.keylog" | head -2)"
  options+=(-X "lua_script:$lua" -d "tcp.port==$port,tcpsec" -d "tcp.port==$IOP_BULK_PORT,data"
    -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE)

  tshark -n -r "$dir/capture.pcap" "${options[@]}" -T fields -E separator=/t \
    -E occurrence=a -E aggregator=, -e frame.number -e tcpsec.prefix -e tcpsec.type \
    -e tcpsec.segment.distance -e esp.spi -e esp.icv_good -e _ws.malformed -e _ws.expert.severity \
    >"$dir/fields.tsv" 2>"$dir/tshark.err" &&
    tshark -n -r "$dir/capture.pcap" "${options[@]}" -Y isakmp -T pdml \
      >"$dir/ike.pdml" 2>>"$dir/tshark.err" ||
    iop_fail "$name: tshark failed: $(cat "$dir/tshark.err")"
  if grep -qi "lua" "$dir/tshark.err"; then
    iop_fail "$name: the Lua script reported an error: $(cat "$dir/tshark.err")"
  fi

  python3 - "$dir" "$name" "$IOP_FORTINET_ESP" <<'PYEOF' || iop_fail "$name: the capture did not decode as expected"
import sys
import xml.etree.ElementTree as ET

work, name, fortinet_esp = sys.argv[1:4]
failures = []


def check(cond, what):
    if not cond:
        failures.append("%s: %s" % (name, what))


prefixes = stream_esp = segments = esp = good = 0
malformed, errors = [], []
for line in open(work + "/fields.tsv"):
    f = line.rstrip("\n").split("\t")
    f += [""] * (8 - len(f))
    values = lambda s: [v for v in s.split(",") if v]
    prefixes += len(values(f[1]))
    stream_esp += values(f[2]).count("2")
    segments += 1 if f[3] else 0
    spis = values(f[4])
    esp += len(spis)
    good += sum(1 for v in values(f[5]) if v in ("1", "True"))
    if f[6]:
        malformed.append(f[0])
    if any(int(v, 0) >= 0x00800000 for v in values(f[7])):
        errors.append(f[0])

check(prefixes == 1, "%d IKETCP prefixes, expected 1" % prefixes)
check(not malformed, "malformed frames %s" % malformed[:10])
check(not errors, "frames with expert errors %s" % errors[:10])
# Ping (6 echoes each way) and 1 MB of TCP data need well over 700 packets.
check(esp >= 700, "%d ESP packets, expected at least 700" % esp)
check(good == esp, "%d of %d ESP packets with a good ICV" % (good, esp))
if fortinet_esp == "enable":
    check(segments == esp, "%d of %d ESP packets as segments" % (segments, esp))
    check(stream_esp == 0, "%d ESP frames in the stream, expected none" % stream_esp)
else:
    check(stream_esp == esp, "%d of %d ESP packets in the stream" % (stream_esp, esp))
    check(segments == 0, "%d ESP segments, expected none" % segments)

ike = sk = correct = 0
for packet in ET.parse(work + "/ike.pdml").getroot().iter("packet"):
    for proto in packet.iter("proto"):
        if proto.get("name") != "isakmp":
            continue
        ike += 1
        fields = [(f.get("name"), f.get("showname") or "") for f in proto.iter("field")]
        if any(n == "isakmp.typepayload" and "(46)" in s for n, s in fields):
            sk += 1
            if (any(n == "isakmp.enc.decrypted" for n, _ in fields) and
                    any(n == "isakmp.enc.icd" and "[correct]" in s for n, s in fields) and
                    not any(n == "isakmp.ikev2.integrity_checksum" for n, _ in fields)):
                correct += 1
check(ike >= 6, "%d IKE messages, expected at least 6" % ike)
check(correct == sk and sk >= 4,
      "%d of %d SK payloads decrypted with a correct integrity checksum" % (correct, sk))

for f in failures:
    print("FAIL: " + f)
print("%s: %d IKE messages (%d with SK, %d correct), %d ESP packets (%d in the stream, "
      "%d as segments, %d good ICVs)" % (name, ike, sk, correct, esp, stream_esp, segments, good))
sys.exit(1 if failures else 0)
PYEOF
}

run_mode stream aes128gcm16-prfsha256-ecp256 disable "AES-GCM with 16 octet ICV [RFC4106]"
run_mode segments aes256-sha256-ecp384 enable "AES-CBC [RFC3602]"
echo "passed: RFC 9329 stream and Fortinet-style segments decoded"
