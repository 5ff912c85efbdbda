#!/bin/bash
# Checks the Wireshark Lua dissector tools/wireshark/tcpsec.lua with tshark
# on a capture that gen_lua_tcpsec writes with tcpsec's framers, IKE codec
# and ESP SAs (see the generator's header for its content):
#
#   - connection A (TCP port 4500, the dissector's default) is an RFC 9329
#     stream. Connection B (port 1443) carries ESP as Fortinet-style
#     segments 2^30 behind and 2^31 ahead of the stream. It is selected
#     with -d, and in a second run with the tcpsec.tcp_ports preference;
#   - both prefixes, every IKE message and every ESP packet must be
#     dissected exactly once, the empty frame and the keepalive recognised,
#     and no frame may be marked malformed or carry an expert error;
#   - with the generator's keys, every SK payload must decrypt with a
#     correct integrity checksum (AES-GCM-16 on A, AES-CBC-256 with
#     HMAC-SHA2-256-128 on B). Every ESP packet must authenticate except
#     the one whose ICV the generator corrupted, which must be reported bad;
#   - without -d or the preference, connection B stays undecoded.
#
# Argument: the tests/tshark build directory. Exit 77 when tshark (with
# Lua), python3 or the generator are missing.
set -euo pipefail

build_dir=${1:?usage: test_lua_tcpsec.sh TSHARK_BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
lua=$here/../../tools/wireshark/tcpsec.lua
gen=$build_dir/gen_lua_tcpsec

skip() {
  echo "skipped: $1"
  exit 77
}

command -v tshark >/dev/null || skip "tshark is not installed"
tshark -v 2>/dev/null | grep -q "with Lua" || skip "tshark was built without Lua"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$gen" ] || skip "gen_lua_tcpsec was not built"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$gen" "$work/capture.pcap" "$work/keys.txt" "$work/expected.txt"

key_options=()
while IFS= read -r row; do
  key_options+=(-o "$row")
done <"$work/keys.txt"
key_options+=(-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE)

fields=(-T fields -E separator=/t -E occurrence=a -E aggregator=,
  -e frame.number -e tcp.stream -e tcpsec.prefix -e tcpsec.type
  -e tcpsec.segment.distance -e isakmp.ispi -e esp.spi -e esp.icv_good
  -e esp.icv_bad -e icmp.type -e _ws.malformed -e _ws.expert.severity)

decode() {
  local out=$1
  shift
  if ! tshark -n -r "$work/capture.pcap" -X "lua_script:$lua" "$@" \
    >"$out" 2>"$work/tshark.err"; then
    echo "FAIL: tshark $* exited with an error:"
    cat "$work/tshark.err"
    exit 1
  fi
  if grep -qi "lua" "$work/tshark.err"; then
    echo "FAIL: the Lua script reported an error:"
    cat "$work/tshark.err"
    exit 1
  fi
}

decode "$work/plain.tsv" -d tcp.port==1443,tcpsec "${fields[@]}"
decode "$work/pref.tsv" -o tcpsec.tcp_ports:4500,1443 "${fields[@]}"
decode "$work/default.tsv" "${fields[@]}"
decode "$work/keys.tsv" -d tcp.port==1443,tcpsec "${key_options[@]}" "${fields[@]}"
decode "$work/ike.pdml" -d tcp.port==1443,tcpsec "${key_options[@]}" -Y isakmp -T pdml

python3 - "$work" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET

work = sys.argv[1]
expected = {k: int(v) for k, v in (line.split() for line in open(work + "/expected.txt"))}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def load(name):
    frames = []
    for line in open("%s/%s" % (work, name)):
        f = line.rstrip("\n").split("\t")
        f += [""] * (12 - len(f))
        values = lambda s: [v for v in s.split(",") if v]
        frames.append({
            "number": int(f[0]), "stream": f[1], "prefixes": len(values(f[2])),
            "types": [int(v) for v in values(f[3])], "segment": values(f[4]),
            "ike": len(values(f[5])), "esp": values(f[6]),
            "icv_good": values(f[7]), "icv_bad": values(f[8]),
            "icmp": len(values(f[9])), "malformed": f[10] != "",
            "severity": max([int(v, 0) for v in values(f[11])] or [0]),
        })
    return frames


def totals(frames):
    t = {"prefixes": 0, "ike": 0, "ike_frames": 0, "esp_stream": 0, "esp_segments": 0,
         "keepalives": 0, "empty": 0, "esp": 0, "icv_good": 0, "icv_bad": 0, "icmp": 0}
    for fr in frames:
        t["prefixes"] += fr["prefixes"]
        t["ike"] += fr["ike"]
        t["ike_frames"] += fr["types"].count(1)
        t["esp_stream"] += fr["types"].count(2)
        t["keepalives"] += fr["types"].count(3)
        t["empty"] += fr["types"].count(4)
        t["esp_segments"] += len(fr["segment"])
        t["esp"] += len(fr["esp"])
        t["icv_good"] += fr["icv_good"].count("1") + fr["icv_good"].count("True")
        t["icv_bad"] += fr["icv_bad"].count("1") + fr["icv_bad"].count("True")
        t["icmp"] += fr["icmp"]
    return t


def check_counts(label, frames):
    t = totals(frames)
    for key in ("prefixes", "ike", "esp_stream", "esp_segments", "keepalives", "empty"):
        check(t[key] == expected[key], "%s: %d %s, expected %d" % (label, t[key], key, expected[key]))
    check(t["ike_frames"] == expected["ike"],
          "%s: %d IKE frames, expected %d" % (label, t["ike_frames"], expected["ike"]))
    esp_total = expected["esp_stream"] + expected["esp_segments"]
    check(t["esp"] == esp_total, "%s: %d ESP packets, expected %d" % (label, t["esp"], esp_total))
    malformed = [fr["number"] for fr in frames if fr["malformed"]]
    check(not malformed, "%s: malformed frames %s" % (label, malformed))
    errors = [fr["number"] for fr in frames if fr["severity"] >= 0x00800000]
    check(not errors, "%s: expert errors in frames %s" % (label, errors))
    return t


plain = load("plain.tsv")
check_counts("-d tcp.port==1443,tcpsec", plain)
check_counts("tcpsec.tcp_ports:4500,1443", load("pref.tsv"))
segments = [fr["segment"][0] for fr in plain if fr["segment"]]
distances = sorted(set(int(d) for d in segments))
check(distances == [-(1 << 30), -(1 << 31)] or distances == [-(1 << 31), -(1 << 30)],
      "segment distances %s, expected -2^30 and -2^31" % distances)

# Without -d, connection B (stream 1) is not tcpsec: only A is decoded.
default = load("default.tsv")
t = totals(default)
check(t["prefixes"] == 1, "default ports: %d prefixes, expected 1 (port 4500 only)" % t["prefixes"])
check(not any(fr["segment"] for fr in default), "default ports: segments decoded on port 1443")

keys = load("keys.tsv")
t = check_counts("with keys", keys)
esp_total = expected["esp_stream"] + expected["esp_segments"]
check(t["icv_good"] == esp_total - expected["esp_bad_icv"],
      "with keys: %d good ICVs, expected %d" % (t["icv_good"], esp_total - expected["esp_bad_icv"]))
check(t["icv_bad"] == expected["esp_bad_icv"],
      "with keys: %d bad ICVs, expected %d" % (t["icv_bad"], expected["esp_bad_icv"]))
check(t["icmp"] == expected["icmp"], "with keys: %d ICMP messages decrypted, expected %d"
      % (t["icmp"], expected["icmp"]))

sk = correct = 0
for packet in ET.parse(work + "/ike.pdml").getroot().iter("packet"):
    for proto in packet.iter("proto"):
        if proto.get("name") != "isakmp":
            continue
        names = [(f.get("name"), f.get("showname") or "") for f in proto.iter("field")]
        if any(n == "isakmp.enc.data" or n == "isakmp.enc.decrypted" for n, _ in names) or \
                any(n == "isakmp.typepayload" and "(46)" in s for n, s in names):
            sk += 1
            decrypted = any(n == "isakmp.enc.decrypted" for n, _ in names)
            icd = any(n == "isakmp.enc.icd" and "[correct]" in s for n, s in names)
            bad = any(n == "isakmp.ikev2.integrity_checksum" for n, _ in names)
            if decrypted and icd and not bad:
                correct += 1
check(sk == expected["ike_sk"], "%d IKE messages with SK, expected %d" % (sk, expected["ike_sk"]))
check(correct == expected["ike_sk"],
      "%d SK payloads decrypted with a correct integrity checksum, expected %d"
      % (correct, expected["ike_sk"]))

for f in failures:
    print("FAIL: " + f)
print("%d IKE messages (%d with SK), %d ESP packets in the stream, %d as segments, "
      "%d prefixes; %d checks failed" % (expected["ike"], expected["ike_sk"],
      expected["esp_stream"], expected["esp_segments"], expected["prefixes"], len(failures)))
sys.exit(1 if failures else 0)
PYEOF
