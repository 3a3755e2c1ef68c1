#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The binaries start without libcurl (user/fleet/curl_dl.h): neither names
# it, nor libcrypto, as a needed library, so the thirty-odd libraries
# behind it are not loaded at every command. With libcurl.so.4 unreadable
# (an empty file bound over it in a mount namespace of the test's own),
# `edgefw check` still works and a fleet command exits 2 with a message
# naming the library and the package to install.
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
EDGEFW=${EDGEFW:-$PWD/build/edgefw}
EDGEFWD=${EDGEFWD:-$PWD/build/edgefwd}
if [[ ! -x $EDGEFW || ! -x $EDGEFWD ]]; then
	echo "1..0 # SKIP $EDGEFW or $EDGEFWD not built (make)"
	exit 0
fi
n=0
fails=0
is() { # DESC GOT WANT
	if [[ $2 == "$3" ]]; then
		echo "ok $((n += 1)) - $1"
	else
		echo "not ok $((n += 1)) - $1"
		printf '# got:  %s\n# want: %s\n' "${2:0:1000}" "${3:0:1000}"
		fails=$((fails + 1))
	fi
}

for bin in "$EDGEFW" "$EDGEFWD"; do
	needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
	is "${bin##*/} needs neither libcurl nor libcrypto (it needs: $needed)" \
		"$(grep -cE 'libcurl|libcrypto|libssl' <<<"$needed")" 0
done
# The whole set the loader maps, libraries of libraries included: libcurl
# alone brought TLS, Kerberos, LDAP, SSH and RTMP, 39 in all.
is "edgefw loads no TLS or Kerberos library at start" \
	"$(ldd "$EDGEFW" | grep -cE 'libgnutls|libssl|libkrb5|libldap|libssh')" 0

lib=$(/sbin/ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF; exit }')
if [[ $(id -u) -ne 0 || -z $lib ]] || ! command -v unshare >/dev/null; then
	echo "# skipping the checks without libcurl: they need root, unshare and libcurl.so.4"
else
	lib=$(readlink -f "$lib")
	# without_curl CMD...: CMD with libcurl.so.4 read as an empty file.
	without_curl() {
		unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' _ "$lib" "$@"
	}
	rc=0
	out=$(without_curl "$EDGEFW" fleet status --etcd http://127.0.0.1:1 --group g 2>&1) || rc=$?
	is "without libcurl, edgefw fleet status exits 2" "$rc" 2
	is "... and says which library is missing and which package has it" \
		"$(grep -c 'cannot load libcurl.so.4 (install libcurl4)' <<<"$out")" 1
	rc=0
	out=$(without_curl "$EDGEFW" check rules/demo.yaml 2>&1) || rc=$?
	is "without libcurl, edgefw check works ($out)" "$rc" 0
fi

echo "1..$n"
[[ $fails -eq 0 ]]
