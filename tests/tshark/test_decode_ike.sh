#!/bin/bash
# Compares tcpsec-decode's JSON with tshark's IKEv2 dissection of the same
# published captures, frame by frame: exchange type, flags, Message ID,
# payload types in order, notify types and transform (type, ID) pairs.
# Argument: the tests/tshark build directory. Exit 77 when tshark, python3,
# the decode tool or the captures are missing.
set -euo pipefail

build_dir=${1:?usage: test_decode_ike.sh TSHARK_BUILD_DIR}
script_dir=$(cd "$(dirname "$0")" && pwd)
decode="$build_dir/../../examples/tcpsec-decode/tcpsec-decode"
vectors=${TCPSEC_VECTORS_DIR:-$script_dir/../../../shared/vectors}

skip() {
  echo "skipped: $1"
  exit 77
}

command -v tshark >/dev/null || skip "tshark is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$decode" ] || skip "tcpsec-decode was not built (libpcap missing?)"

captures=(
  "$vectors/pcaps/tcpdump/ikev2four.pcap"
  "$vectors/pcaps/scapy/ikev2_nat_t.pcapng"
)
for c in "${captures[@]}"; do
  [ -r "$c" ] || skip "published capture $c is absent"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
for c in "${captures[@]}"; do
  name=$(basename "$c")
  "$decode" --json "$c" >"$work/$name.json"
  tshark -r "$c" -Y isakmp -T fields -E separator=/t -E aggregator=, \
    -e frame.number -e isakmp.exchangetype -e isakmp.flags \
    -e isakmp.messageid -e isakmp.typepayload -e isakmp.notify.msgtype \
    -e isakmp.tf.type -e isakmp.tf.id.encr -e isakmp.tf.id.prf \
    -e isakmp.tf.id.integ -e isakmp.tf.id.dh -e isakmp.tf.id.esn \
    2>/dev/null >"$work/$name.tsv"
  python3 - "$work/$name.json" "$work/$name.tsv" "$name" <<'PYEOF' || status=1
import json
import sys

ours_path, theirs_path, name = sys.argv[1:4]
FIRST_PAYLOAD, LAST_PAYLOAD = 33, 54  # substructures 2 and 3 are not payloads


def ints(field, base=10):
    return [int(v, base) for v in field.split(",") if v != ""]


def tshark_frames(path):
    frames = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        f += [""] * (12 - len(f))
        ids = {t: ints(f[6 + t]) for t in range(1, 6)}
        transforms = []
        for t in ints(f[6]):
            transforms.append((t, ids[t].pop(0) if ids.get(t) else None))
        frames[int(f[0])] = {
            "exchange": int(f[1]),
            "flags": int(f[2], 16),
            "message_id": int(f[3], 16),
            "payloads": [p for p in ints(f[4]) if FIRST_PAYLOAD <= p <= LAST_PAYLOAD],
            "notifies": ints(f[5]),
            "transforms": transforms,
        }
    return frames


def our_frames(path):
    frames = {}
    for m in json.load(open(path))["messages"]:
        if "error" in m:
            raise SystemExit(f"{name}: frame {m['frame']}: tcpsec-decode reported {m['error']}")
        h = m["header"]
        frames[m["frame"]] = {
            "exchange": h["exchange"],
            "flags": h["flags"],
            "message_id": h["message_id"],
            "payloads": [p["type"] for p in m["payloads"]],
            "notifies": [p["notify_type"] for p in m["payloads"] if p["type"] == 41],
            "transforms": [(t["type"], t["id"])
                           for p in m["payloads"] if p["type"] == 33
                           for prop in p["proposals"] for t in prop["transforms"]],
        }
    return frames


ours, theirs = our_frames(ours_path), tshark_frames(theirs_path)
failures = 0
if sorted(ours) != sorted(theirs):
    print(f"{name}: frames differ: tcpsec-decode {sorted(ours)}, tshark {sorted(theirs)}")
    failures += 1
for frame in sorted(set(ours) & set(theirs)):
    for field in ("exchange", "flags", "message_id", "payloads", "notifies", "transforms"):
        if ours[frame][field] != theirs[frame][field]:
            print(f"{name}: frame {frame}: {field}: tcpsec-decode {ours[frame][field]}, "
                  f"tshark {theirs[frame][field]}")
            failures += 1
checked = len(set(ours) & set(theirs))
print(f"{name}: {checked} frames compared, {failures} differences")
sys.exit(1 if failures or checked == 0 else 0)
PYEOF
done
exit $status
