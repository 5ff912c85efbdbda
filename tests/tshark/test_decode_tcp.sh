#!/bin/bash
# Checks tcpsec-decode on a generated capture (gen_decode_tcp): an RFC 9329
# TCP stream on port 4500 with the IKETCP prefix, an ESP frame, segments
# out of order and retransmitted, IKE_AUTH messages decrypted with the
# generated keys, and an INFORMATIONAL request sent as UDP fragments that
# must reassemble. The UDP frames are also compared with tshark's
# dissection; tshark 4.0's TCPENCAP dissector does not implement RFC 9329
# framing, so the stream part is checked against the generator's content.
# Argument: the tests/tshark build directory. Exit 77 when tshark, python3
# or the decode tool are missing.
set -euo pipefail

build_dir=${1:?usage: test_decode_tcp.sh TSHARK_BUILD_DIR}
decode="$build_dir/../../examples/tcpsec-decode/tcpsec-decode"
gen="$build_dir/gen_decode_tcp"

skip() {
  echo "skipped: $1"
  exit 77
}

command -v tshark >/dev/null || skip "tshark is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$decode" ] || skip "tcpsec-decode was not built (libpcap missing?)"
[ -x "$gen" ] || skip "gen_decode_tcp was not built"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$gen" "$work/stream.pcap" "$work/keys.txt"
"$decode" --json --tcp-port 4500 --keys-file "$work/keys.txt" "$work/stream.pcap" \
  >"$work/decode.json"
tshark -r "$work/stream.pcap" -Y isakmp -T fields -E separator=/t -E aggregator=, \
  -e frame.number -e isakmp.exchangetype -e isakmp.flags -e isakmp.messageid \
  -e isakmp.typepayload 2>/dev/null >"$work/tshark.tsv"

python3 - "$work/decode.json" "$work/tshark.tsv" <<'PYEOF'
import json
import sys

doc = json.load(open(sys.argv[1]))
messages = doc["messages"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


# (transport, exchange, flags, message ID, clear payloads, inner payloads)
expected = [
    ("tcp", 34, 0x08, 0, [33, 34, 40, 41], None),
    ("tcp", 35, 0x08, 1, [46], [35, 39, 44, 45]),
    ("tcp", 34, 0x20, 0, [33, 34, 40], None),
    ("tcp", 35, 0x20, 1, [46], [36, 39]),
    ("udp", 37, 0x08, 2, [53], "stored"),
    ("udp", 37, 0x08, 2, [53], "stored"),
    ("udp", 37, 0x08, 2, [53], [37, 41]),
]
check(len(messages) == len(expected), f"{len(messages)} messages, expected {len(expected)}")
for m, (transport, exch, flags, mid, clear, inner) in zip(messages, expected):
    where = f"message {m['index']} (frame {m.get('frame')})"
    check("error" not in m, f"{where}: error {m.get('error')}")
    h = m.get("header", {})
    got = (m.get("transport"), h.get("exchange"), h.get("flags"), h.get("message_id"),
           [p["type"] for p in m.get("payloads", [])])
    check(got == (transport, exch, flags, mid, clear),
          f"{where}: got {got}, expected {(transport, exch, flags, mid, clear)}")
    check(m.get("non_esp_marker") is True, f"{where}: non-ESP marker not reported")
    dec = m.get("decryption")
    if inner is None:
        check(dec is None, f"{where}: unexpected decryption {dec}")
    elif inner == "stored":
        check(dec is not None and dec["result"] == "fragment stored",
              f"{where}: fragment not stored: {dec}")
    else:
        check(dec is not None and dec["result"] == "ok", f"{where}: decryption {dec}")
        if dec is not None and dec["result"] == "ok":
            check([p["type"] for p in dec["inner_payloads"]] == inner,
                  f"{where}: inner payloads {[p['type'] for p in dec['inner_payloads']]}, "
                  f"expected {inner}")
if len(messages) == len(expected):
    check(messages[-1]["decryption"].get("reassembled_fragments") == 3,
          "fragments not reported as reassembled from 3")
    idi = messages[1]["decryption"]["inner_payloads"][0]
    check(idi.get("id") == "spoke.example", f"IDi decoded as {idi.get('id')}")
check(doc["summary"]["skipped_esp"] == 1,
      f"{doc['summary']['skipped_esp']} ESP frames skipped, expected 1")
check(doc["summary"]["errors"] == 0, f"{doc['summary']['errors']} errors reported")

# The UDP fragments, as tshark dissects them.
ours_udp = {m["frame"]: (m["header"]["exchange"], m["header"]["flags"],
                         m["header"]["message_id"], [p["type"] for p in m["payloads"]])
            for m in messages if m.get("transport") == "udp"}
theirs_udp = {}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    theirs_udp[int(f[0])] = (int(f[1]), int(f[2], 16), int(f[3], 16),
                             [int(t) for t in f[4].split(",") if t and int(t) >= 33])
check(ours_udp == theirs_udp, f"UDP frames: tcpsec-decode {ours_udp}, tshark {theirs_udp}")

for f in failures:
    print(f)
print(f"{len(messages)} messages checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
PYEOF
