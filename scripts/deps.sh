#!/usr/bin/env bash
# Installs, from Debian packages, everything edgefw's build, demo and tests need.
# Idempotent: does nothing (and needs no network) when every package is present.
# Changes no host network configuration. fail2ban, crowdsec and etcd-server
# are for the integration tests (etcd: the fleet test and benchmark, with
# openssl for their certificates), which start their own instances; their
# services are not started here (where policy-rc.d says so) and the tests
# never use theirs.
set -euo pipefail

PKGS=(
	make gcc pkg-config clang llvm
	libbpf-dev libxdp-dev xdp-tools bpftool libelf-dev zlib1g-dev
	libmnl-dev libyaml-dev libjson-c-dev libcmocka-dev
	iproute2 iputils-ping socat procps util-linux jq ethtool
	nftables iptables
	libclang-rt-14-dev gnuplot-nox
	libmicrohttpd-dev libsystemd-dev curl
	libcurl4-openssl-dev etcd-server etcd-client
	fail2ban crowdsec prometheus openssl
	dpkg-dev debhelper lintian logrotate python3 python3-scapy
	clang-format clang-tidy shellcheck
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

export DEBIAN_FRONTEND=noninteractive
# crowdsec's postinst registers with the online Central API unless its
# credentials file exists and is not empty (README.Debian); the tests use a
# local API only, and this machine may have no Internet access.
CAPI=/etc/crowdsec/online_api_credentials.yaml
if [[ " ${missing[*]} " == *" crowdsec "* && ! -s $CAPI ]]; then
	mkdir -p /etc/crowdsec
	echo "# no Central API: set up by edgefw scripts/deps.sh (local API only)" >"$CAPI"
fi
# A crowdsec left half-configured by an earlier attempt only needs that.
if dpkg-query -W -f='${Status}' crowdsec 2>/dev/null | grep -q 'half-configured'; then
	dpkg --configure crowdsec >/dev/null
	[[ " ${missing[*]} " == " crowdsec " ]] && exit 0
fi

echo "deps.sh: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
