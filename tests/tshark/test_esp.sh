#!/bin/bash
# Independent decoding of tcpsec's ESP with tshark. gen_esp seals ICMP echo
# requests in tunnel mode with AES-GCM-16 (128 and 256-bit keys) and with
# AES-CBC plus HMAC-SHA2-256-128, -384-192 and -512-256. tshark decrypts
# them with the keys the generator prints and checks each ICV.
#
#   test_esp.sh BUILD_DIR   (the tests/tshark build folder with gen_esp)
set -u

build=${1:?usage: test_esp.sh BUILD_DIR}
if ! command -v tshark >/dev/null 2>&1; then
  echo "skipped: tshark is not installed"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$build/gen_esp" "$work/esp.pcap" "$work/rows"; then
  echo "FAIL: gen_esp could not write the capture"
  exit 1
fi

args=()
while IFS= read -r row; do
  args+=(-o "uat:esp_sa:$row")
done < "$work/rows"

tshark -n -r "$work/esp.pcap" "${args[@]}" \
  -o esp.enable_encryption_decode:TRUE \
  -o esp.enable_authentication_check:TRUE \
  -T fields -E separator=' ' \
  -e frame.number -e esp.spi -e esp.icv_good -e icmp.type -e icmp.ident \
  -e icmp.seq -e icmp.checksum.status -e ip.src -e ip.dst \
  > "$work/fields" 2> "$work/stderr"
status=$?
if [ $status -ne 0 ]; then
  echo "FAIL: tshark exited with $status"
  cat "$work/stderr"
  exit 1
fi

# Expected: frame, SPI, ICV good, ICMP type 8, identifier = SA number,
# sequence, ICMP checksum good (1), outer and inner addresses.
expected=$(
  frame=1
  for sa in 1 2 3 4 5; do
    for seq in 1 2 3; do
      echo "$frame 0x0000100$sa 1 8 $sa $seq 1 192.0.2.1,10.1.0.1 192.0.2.2,10.2.0.1"
      frame=$((frame + 1))
      if [ "$sa" = 1 ] && [ "$seq" = 3 ]; then
        # The copy with a flipped ICV byte: the ciphertext is intact, so
        # tshark still decrypts it, but the ICV check must fail.
        echo "$frame 0x00001001 0 8 1 3 1 192.0.2.1,10.1.0.1 192.0.2.2,10.2.0.1"
        frame=$((frame + 1))
      fi
    done
  done
)

if ! diff <(echo "$expected") <(sed 's/ *$//' "$work/fields") > "$work/diff"; then
  echo "FAIL: tshark's decoding differs from what tcpsec sealed:"
  cat "$work/diff"
  exit 1
fi
echo "ok: tshark decrypted 15 ESP packets, verified their ICVs and rejected the corrupted one"
