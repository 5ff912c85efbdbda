#!/usr/bin/env bash
# Install the Debian 12 packages needed to build tcpsec and run its tests.
# Needs root. Skips apt entirely when every package is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libmbedtls-dev libcmocka-dev libpcap-dev  # libraries
  clang libclang-rt-14-dev                  # libFuzzer and sanitizers
  abigail-tools doxygen                     # ABI check, API reference
  tshark unzip python3 binutils openssl     # decoding, vectors, test CAs
  iproute2 nftables iputils-ping tcpdump    # namespace tests
  strongswan-charon strongswan-swanctl       # independent IKEv2 peer
  libcharon-extra-plugins libstrongswan-standard-plugins socat
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or install them with apt-get" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
