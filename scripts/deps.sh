#!/usr/bin/env bash
# Installs, from Debian packages, everything edgefw's build, demo and tests need.
# Idempotent: does nothing (and needs no network) when every package is present.
# Changes no host network configuration.
set -euo pipefail

PKGS=(
	make gcc pkg-config clang llvm
	libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev
	libmnl-dev libyaml-dev libjson-c-dev libcmocka-dev
	iproute2 iputils-ping socat procps util-linux jq ethtool
	nftables iptables
	libclang-rt-14-dev gnuplot-nox
	libmicrohttpd-dev libsystemd-dev curl
	dpkg-dev debhelper lintian logrotate python3
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
