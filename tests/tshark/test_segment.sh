#!/usr/bin/env bash
# Cross-checks Fortinet-style segments built by tcpsec with tshark, an
# independent decoder. Every TCP checksum and IPv4 header checksum must be
# reported correct, and the deliberately corrupted segments must be
# reported bad. Ports, sequence and acknowledgement numbers, window and
# payload length must decode to what gen_segment printed.
#
# Usage: test_segment.sh BUILD_DIR   (the tests/tshark build folder)
#
# tshark 4.0 encodes tcp.checksum.status and ip.checksum.status as
# 0 = bad, 1 = good, 2 = unverified, 3 = not present (checked with 4.0.17,
# where the fields print as numbers); verification needs the
# tcp.check_checksum and ip.check_checksum preferences.
set -euo pipefail

build_dir=${1:?usage: test_segment.sh BUILD_DIR}

if ! command -v tshark >/dev/null 2>&1; then
  echo "skipped: tshark is not installed"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build_dir/gen_segment" "$tmp/segments.pcap" >"$tmp/expected.txt"
tshark -r "$tmp/segments.pcap" \
  -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
  -T fields -E separator=' ' -E occurrence=f \
  -e frame.number -e tcp.checksum.status -e ip.checksum.status \
  -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw \
  -e tcp.window_size_value -e tcp.len \
  >"$tmp/decoded.txt" 2>"$tmp/tshark.err" || {
  echo "tshark failed:"
  cat "$tmp/tshark.err"
  exit 1
}

add_problem() {
  problem="${problem:+$problem; }$1"
}

passed=0
failed=0
frames=0
while read -r frame verdict sport dport seq ack window len; do
  frames=$((frames + 1))
  # Decoded line: frame tcp_status [ip_status] sport dport seq ack win len;
  # IPv6 frames have no IP checksum, so that column is absent.
  line=$(awk -v f="$frame" '$1 == f' "$tmp/decoded.txt")
  read -r -a got <<<"$line"
  if [ "${#got[@]}" -eq 9 ]; then
    ip_status=${got[2]}
    fields="${got[3]} ${got[4]} ${got[5]} ${got[6]} ${got[7]} ${got[8]}"
  else
    ip_status=none
    fields="${got[2]:-} ${got[3]:-} ${got[4]:-} ${got[5]:-} ${got[6]:-} ${got[7]:-}"
  fi
  tcp_status=${got[1]:-missing}

  want_status=1
  [ "$verdict" = bad ] && want_status=0
  want_fields="$sport $dport $seq $ack $window $len"

  problem=""
  [ "$tcp_status" = "$want_status" ] ||
    add_problem "TCP checksum status $tcp_status, expected $want_status ($verdict)"
  [ "$ip_status" = none ] || [ "$ip_status" = 1 ] ||
    add_problem "IPv4 header checksum status $ip_status, expected 1"
  [ "$fields" = "$want_fields" ] ||
    add_problem "fields '$fields', expected '$want_fields'"

  if [ -z "$problem" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "frame $frame: $problem"
  fi
done <"$tmp/expected.txt"

if [ "$frames" -lt 16 ]; then
  echo "gen_segment wrote $frames frames, expected at least 16"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
