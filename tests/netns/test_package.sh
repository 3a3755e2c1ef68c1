#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The Debian package on this machine: built by `make deb` (reused when
# build/deb holds one newer than every file of the tree), lintian without
# errors, then installed, upgraded and purged with dpkg:
# - install: the programs at the version of VERSION, the unit (installed,
#   not enabled), the config as a conffile (0600), man pages (8 and 5),
#   completion, logrotate, examples that pass `edgefw check` where they are;
# - upgrade to a repacked VERSION+upgradetest1: a local edit of the
#   conffile survives, the new version runs;
# - remove keeps the conffile, purge removes it and leaves nothing.
# Skipped when the package tools are missing or an edgefw package is
# installed already (a test must not replace an operator's). Not a network
# test: it is in this group because it needs root and changes the system.
# efw-timeout: 1200
set -uo pipefail

cd "$(dirname "$(readlink -f "$0")")/../.." || exit 2
n=0
fails=0
ok() { echo "ok $((n += 1)) - $1"; }
not_ok() {
	echo "not ok $((n += 1)) - $1"
	fails=$((fails + 1))
	shift
	for l in "$@"; do printf '%s\n' "$l" | head -40 | sed 's/^/# /'; done
}
check() { # DESC CMD...
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d" "$out"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

[[ $(id -u) -eq 0 ]] || skip_all "needs root (dpkg -i)"
for t in dpkg-buildpackage dh lintian dpkg-deb; do
	command -v "$t" >/dev/null || skip_all "$t is missing (apt-get install debhelper lintian, or scripts/deps.sh)"
done
# One run at a time on this machine: the package is system-wide.
exec 9>/run/lock/efw-package-test.lock
flock -w 900 9 || skip_all "another run of this test holds /run/lock/efw-package-test.lock"
if dpkg-query -W -f='${Status}' edgefw 2>/dev/null | grep -q 'installed\|config-files'; then
	skip_all "an edgefw package is installed on this machine: not replacing it"
fi

V=$(cat VERSION)
ARCH=$(dpkg --print-architecture)
DEB=build/deb/edgefw_${V}_$ARCH.deb
tmp=$(mktemp -d "${TMPDIR:-/tmp}/efw-pkg.XXXXXX") || exit 2
installed=0
cleanup() {
	[[ $installed -eq 1 ]] && dpkg -P edgefw >/dev/null 2>&1
	rm -rf -- "$tmp"
}
trap cleanup EXIT

# --- Build (or reuse a package newer than the whole tree).
newer=""
[[ -f $DEB ]] && newer=$(find . -path ./build -prune -o -path ./.git -prune -o \
	-type f -newer "$DEB" -print -quit)
if [[ -f $DEB && -z $newer ]]; then
	ok "make deb: $DEB is newer than the tree, reused"
elif out=$(make --no-print-directory deb 2>&1); then
	ok "make deb builds $DEB ($(grep -o '[0-9]* passed, [0-9]* failed[^"]*' <<<"$out" | tail -1) in dh_auto_test)"
else
	not_ok "make deb" "$(tail -40 <<<"$out")"
	echo "1..$n"
	exit 1
fi
check "the package is named for VERSION and this architecture" test -f "$DEB"

lint=$(lintian "$DEB" 2>&1 | grep -v '^running with root')
errors=$(grep -c '^E:' <<<"$lint")
if [[ $errors -eq 0 ]]; then
	ok "lintian: no errors ($(grep -c '^W:' <<<"$lint") warnings)"
	[[ -z $lint ]] || sed 's/^/# /' <<<"$lint"
else
	not_ok "lintian: no errors" "$lint"
fi

# --- Install.
if out=$(dpkg -i "$DEB" 2>&1); then
	installed=1
	ok "dpkg -i $DEB"
else
	installed=1
	not_ok "dpkg -i $DEB" "$out"
fi
check "dpkg says installed, version $V" \
	test "$(dpkg-query -W -f='${Status} ${Version}' edgefw)" = "install ok installed $V"
check "edgefw --version: $V" grep -qx "edgefw $V" <(/usr/sbin/edgefw --version)
check "edgefwd --version: $V" grep -qx "edgefwd $V" <(/usr/sbin/edgefwd --version)
unit=/lib/systemd/system/edgefwd.service
check "the unit is installed and runs /usr/sbin/edgefwd" grep -q '^ExecStart=/usr/sbin/edgefwd --config /etc/edgefw/edgefwd.yaml' "$unit"
check "the unit is not enabled (a firewall must not start on an example config)" \
	test ! -e /etc/systemd/system/multi-user.target.wants/edgefwd.service
check "/etc/edgefw/edgefwd.yaml is a conffile" \
	grep -q '/etc/edgefw/edgefwd.yaml' <(dpkg-query -W -f='${Conffiles}' edgefw)
check "the config is root's alone (0600)" test "$(stat -c %a /etc/edgefw/edgefwd.yaml)" = 600
check "the installed config passes edgefw check" /usr/sbin/edgefw check /etc/edgefw/edgefwd.yaml
check "man pages: edgefw(8), edgefwd(8), edgefw.rules(5), edgefw-json(7)" \
	bash -c 'man -w 8 edgefw && man -w 8 edgefwd && man -w 5 edgefw.rules && man -w 7 edgefw-json'
check "bash completion for edgefw and edgefwd" \
	test -f /usr/share/bash-completion/completions/edgefw -a -e /usr/share/bash-completion/completions/edgefwd
check "logrotate snippet" test -f /etc/logrotate.d/edgefw
if command -v logrotate >/dev/null; then
	check "logrotate reads it" logrotate -d /etc/logrotate.d/edgefw
fi
bad=()
for f in /usr/share/doc/edgefw/examples/*.yaml; do
	(cd / && /usr/sbin/edgefw check "$f" >/dev/null 2>&1) || bad+=("$f")
done
if [[ ${#bad[@]} -eq 0 ]]; then ok "every example passes edgefw check where it is installed"
else not_ok "every example passes edgefw check where it is installed" "${bad[*]}"; fi
check "copyright and changelog in /usr/share/doc/edgefw" \
	test -f /usr/share/doc/edgefw/copyright -a -f /usr/share/doc/edgefw/changelog.Debian.gz

# --- Upgrade to a newer version, with a locally edited conffile.
V2="$V+upgradetest1"
dpkg-deb -R "$DEB" "$tmp/pkg" &&
	sed -i "s/^Version: .*/Version: $V2/" "$tmp/pkg/DEBIAN/control" &&
	dpkg-deb -b "$tmp/pkg" "$tmp/edgefw_$V2.deb" >/dev/null
echo "# edited locally by the package test" >>/etc/edgefw/edgefwd.yaml
check "dpkg -i a newer version (upgrade)" dpkg -i --force-confold "$tmp/edgefw_$V2.deb"
check "dpkg says version $V2" test "$(dpkg-query -W -f='${Version}' edgefw)" = "$V2"
check "the local edit of the conffile survived the upgrade" \
	grep -q "edited locally by the package test" /etc/edgefw/edgefwd.yaml
check "edgefw still runs" /usr/sbin/edgefw --version

# --- Remove, then purge.
check "dpkg -r edgefw" dpkg -r edgefw
check "the programs are gone" test ! -e /usr/sbin/edgefw -a ! -e /usr/sbin/edgefwd
check "the unit is gone" test ! -e "$unit"
check "the conffile stays after remove" test -f /etc/edgefw/edgefwd.yaml
check "dpkg -P edgefw" dpkg -P edgefw
installed=0
check "purge removes the conffile" test ! -e /etc/edgefw/edgefwd.yaml
check "dpkg no longer knows edgefw" bash -c '! dpkg-query -W edgefw 2>/dev/null | grep -q .'
check "no file of the package is left" \
	bash -c 'test ! -e /usr/share/doc/edgefw -a ! -e /etc/logrotate.d/edgefw -a ! -e /usr/share/man/man5/edgefw.rules.5.gz'

echo "1..$n"
[[ $fails -eq 0 ]]
