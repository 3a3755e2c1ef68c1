#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# A fleet (issue 18): a 3-member etcd cluster (TLS, client certificates
# required) in namespaces, and FLEET_N edge hosts, each a namespace running
# edgefwd with an instance of its own whose rules come from etcd
# (scripts/lib/etcd_cluster.sh, scripts/lib/etcd_fleet.sh). Real traffic
# through hosts 1 and 2 (client 10.200.1.{2,66,77} -> host -> server).
#
#   R0 a small ruleset, every host starts on it.
#   A  a 100,001-prefix generated list (+ Spamhaus DROP when ../shared/data
#      has it) dropping .66: the time until every host enforces it (fleet
#      status and each host's own status) is printed; traffic checks it.
#   B  an update (.66 passes, .77 dropped; the list's chunks unchanged).
#   Two manifests written by hand (etcdctl): one whose chunk does not
#   verify, one that does not compile: refused by every host, the error in
#   fleet status, B still enforced (traffic).
#   Faults: one etcd member stopped (a publish still converges); all of
#   them stopped (hosts keep enforcing; after a restart a publish
#   converges); edgefwd of host 3 killed -9 (its status key expires within
#   TTL + margin; restarted, it reports again); host 4 cut off while two
#   publishes and a compaction happen (it catches up once reconnected);
#   host 2 "rebooted" (pins removed) with etcd unreachable: it applies its
#   persisted bundle (traffic), then reports once reconnected.
#
# Sizes: FLEET_N=10 hosts; EFW_TEST_FULL=1: 20 hosts. Bounds are generous
# (a loaded 2-vCPU machine) but finite: CONVERGE_S per publish.
# efw-timeout: 600
# shellcheck disable=SC2119 # helpers with an optional argument
# shellcheck disable=SC2317 # functions called through tap_check, efw_wait_for, eval
# shellcheck disable=SC2016 # '$blocklist' is YAML; eval'd conditions expand later
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib/netns.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/netns.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/etcd_cluster.sh
source "$EFW_REPO/scripts/lib/etcd_cluster.sh"
# shellcheck source=SCRIPTDIR/../../scripts/lib/etcd_fleet.sh
source "$EFW_REPO/scripts/lib/etcd_fleet.sh"

FLEET_N=${EFW_FLEET_N:-10}
[[ ${EFW_TEST_FULL:-0} == 1 ]] && FLEET_N=${EFW_FLEET_N:-20}
CONVERGE_S=${EFW_FLEET_CONVERGE_S:-60}
# The status key's lease TTL (fleet spec) and how late its expiry may be seen.
TTL_S=30
TTL_MARGIN_S=20
SHARED_DROP=$EFW_REPO/../shared/data/lists/spamhaus_drop.netset

efw_test_prereqs
for t in "$EFW_ETCD" "$EFW_ETCDCTL" openssl curl; do
	command -v "$t" >/dev/null || tap_bail "etcd and tools installed" "missing $t (scripts/deps.sh)"
done
[[ -x $EDGEFWD ]] || tap_bail "edgefwd built" "$EDGEFWD not found (make all)"
out=$("$EDGEFW" publish 2>&1) || true
if [[ $out == *"unknown command 'publish'"* ]]; then
	echo "1..0 # SKIP edgefw publish does not exist in this build (issue 18's C side not merged)"
	exit 0
fi
efw_etcd_init
efw_fleet_init "fleet-$EFW_ID"
PUB=$EFW_TMP/pub
mkdir -p "$PUB"

# --- Rulesets (all in $PUB, so the list paths are relative and plain).
gen_list() {
	# 100,000 distinct prefixes (/24, /32, /25 in turn) outside the test's
	# 10.0.0.0/8, then the blocked client.
	awk 'BEGIN { for (k = 0; k < 100000; k++) { a = 20 + int(k / 65536); b = int(k / 256) % 256; c = k % 256
		if (k % 3 == 0) printf "%d.%d.%d.0/24\n", a, b, c
		else if (k % 3 == 1) printf "%d.%d.%d.%d\n", a + 40, b, c, (k * 7) % 256
		else printf "%d.%d.%d.128/25\n", a + 80, b, c }
		print "10.200.1.66" }' >"$PUB/big.list"
}
gen_list
lists="big.list"
if [[ -r $SHARED_DROP ]]; then
	ln -s "$SHARED_DROP" "$PUB/spamhaus_drop.netset"
	lists="big.list, spamhaus_drop.netset"
else
	tap_diag "no $SHARED_DROP: the list is the generated one only"
fi
head_yaml() { printf 'version: 1\ndefaults:\n  xdp: pass\n  non-ip: pass\n'; }
{ head_yaml; printf 'rules:\n  - name: drop-77\n    src: 10.200.1.77/32\n    action: drop\n'; } >"$PUB/r0.yaml"
{
	head_yaml
	printf 'sets:\n  blocklist: {files: [%s]}\nrules:\n' "$lists"
	printf '  - name: drop-blocklist\n    src: $blocklist\n    action: drop\n'
} >"$PUB/a.yaml"
{
	head_yaml
	printf 'sets:\n  blocklist: {files: [%s]}\nrules:\n' "$lists"
	printf '  - name: pass-66\n    src: 10.200.1.66/32\n    action: pass\n'
	printf '  - name: drop-77\n    src: 10.200.1.77/32\n    action: drop\n'
	printf '  - name: drop-blocklist\n    src: $blocklist\n    action: drop\n'
} >"$PUB/b.yaml"

# --- Checks used throughout.
# traffic_is HOST WANT: WANT is "A" (.66 dropped, .2 and .77 pass), "B"
# (.77 dropped, .2 and .66 pass) or "open" (all pass); prints what was seen.
traffic_is() {
	local h=$1 want=$2 g b1 b2 d=$EFW_TMP/ping-$1
	# The three at once: a dropped ping costs its full wait.
	local p1 p2 p3
	efw_fleet_ping "$h" "$EFW_FLEET_CLIENT_GOOD" >"$d.g" &
	p1=$!
	efw_fleet_ping "$h" "$EFW_FLEET_CLIENT_BAD" >"$d.b1" &
	p2=$!
	efw_fleet_ping "$h" "$EFW_FLEET_CLIENT_BAD2" >"$d.b2" &
	p3=$!
	wait "$p1" "$p2" "$p3" || true
	g=$(cat "$d.g") b1=$(cat "$d.b1") b2=$(cat "$d.b2")
	echo "host $h: .2 $g/2, .66 $b1/2, .77 $b2/2 answered (want $want)"
	case $want in
	A) [[ $g == 2 && $b1 == 0 && $b2 == 2 ]] ;;
	B) [[ $g == 2 && $b1 == 2 && $b2 == 0 ]] ;;
	open) [[ $g == 2 && $b1 == 2 && $b2 == 2 ]] ;;
	*) return 1 ;;
	esac
}
# check_traffic WANT WHY HOST...: one check per host.
check_traffic() {
	local want=$1 why=$2 h
	shift 2
	for h in "$@"; do
		tap_check "$why: host $h lets through what $want says (real traffic)" traffic_is "$h" "$want"
	done
}

fail_diag() {
	tap_diag "last fleet status: ${EFW_FLEET_LAST_STATUS:-none}"
	local i
	for i in "${EFW_FLEET_HOSTS[@]}"; do
		if ! efw_fleet_alive "$i"; then tap_diag "edgefwd of h$i is not running"; fi
	done
	i=${1:-1}
	[[ -n ${EFW_FLEET_LOG[$i]:-} ]] && tail -n 8 "${EFW_FLEET_LOG[$i]}" | tap_diag
	return 0
}

# publish_converge FILE WHAT [HOST...]: publish, wait, print the time.
publish_converge() {
	local f=$1 what=$2
	shift 2
	if ! efw_fleet_publish "$f" || [[ ! ${EFW_FLEET_REV:-} =~ ^[0-9]+$ ]]; then
		tap_fail "publish $what" "$EFW_FLEET_PUB_OUT"
		return 1
	fi
	tap_ok "publish $what: revision $EFW_FLEET_REV"
	local n=$#
	[[ $n -gt 0 ]] || n=${#EFW_FLEET_HOSTS[@]}
	if efw_fleet_wait_converged "$EFW_FLEET_REV" "$CONVERGE_S" "$@"; then
		tap_ok "$what enforced by $n hosts (fleet status and each host's status) after $EFW_FLEET_WAIT_MS ms"
	else
		tap_fail "$what enforced within ${CONVERGE_S} s"
		fail_diag "${1:-1}"
		return 1
	fi
}

# --- Manifests written by hand, as a broken or malicious publisher would.
KEYS=${EFW_FLEET_PREFIX}groups/$EFW_FLEET_GROUP

# put_manifest NAME CONTENT_FILE STORED_FILE: a chunk named after CONTENT's
# sha256 holding STORED's bytes, and a manifest naming it (one file,
# rules.yaml). HAND_REV: the manifest's revision.
put_manifest() {
	local name=$1 content=$2 stored=$3 h size serial m
	h=$(sha256sum <"$content" | cut -d' ' -f1)
	size=$(stat -c %s "$content")
	efw_etcd_ctl put "$KEYS/chunks/$h" <"$stored" >/dev/null || return 1
	serial=$(efw_etcd_ctl get "$KEYS/manifest" --print-value-only | jq -r '.serial') || return 1
	m=$(jq -cn --argjson s "$((serial + 1))" --arg h "$h" --argjson z "$size" \
		--arg t "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		'{format: 1, serial: $s, published: $t, publisher: "test_fleet", ruleset_hash: "0000000000000000",
		  files: [{path: "rules.yaml", size: $z, sha256: $h, chunks: [$h]}], main: "rules.yaml"}')
	efw_etcd_ctl put "$KEYS/manifest" "$m" >/dev/null || return 1
	HAND_REV=$(efw_etcd_ctl get "$KEYS/manifest" -w json | jq -r '.kvs[0].mod_revision')
	HAND_SHA=$h
	[[ $HAND_REV =~ ^[0-9]+$ ]] || { echo "no revision for the manifest ($name)"; return 1; }
}

# every_host_refused STATUS BAD GOOD: every host reports the error of BAD
# and still applies GOOD.
every_host_refused() {
	jq -e --argjson b "$2" --argjson g "$3" --argjson n "$FLEET_N" \
		'[.hosts[]? | select(.error_revision == $b and .applied_revision == $g and
		  (.last_error | type == "string" and length > 0))] | length == $n' <<<"$1" >/dev/null 2>&1
}
wait_refused() {
	local bad=$1 good=$2 start=$EPOCHSECONDS
	while ((EPOCHSECONDS - start < CONVERGE_S)); do
		EFW_FLEET_LAST_STATUS=$(efw_fleet_status 2>&1) || true
		every_host_refused "$EFW_FLEET_LAST_STATUS" "$bad" "$good" && return 0
		sleep 0.2
	done
	return 1
}
local_applied() { efw_fleet_local_status "$1" 2>/dev/null | jq -r '.source.applied_revision // "none"'; }
all_local_applied() {
	local i
	for i in "${EFW_FLEET_HOSTS[@]}"; do
		[[ $(local_applied "$i") == "$1" ]] || { echo "h$i applies $(local_applied "$i"), not $1"; return 1; }
	done
}

# broken_manifest WHAT CONTENT STORED: written by hand, refused everywhere.
broken_manifest() {
	local what=$1
	if ! put_manifest "$what" "$2" "$3" >"$EFW_TMP/put.out" 2>&1; then
		tap_fail "manifest $what written with etcdctl" "$(cat "$EFW_TMP/put.out")"
		return 0
	fi
	tap_ok "manifest $what written with etcdctl: revision $HAND_REV"
	if wait_refused "$HAND_REV" "$REV_B"; then
		tap_ok "manifest $what refused by all $FLEET_N hosts, error in fleet status: $(jq -r \
			'first(.hosts[].last_error)' <<<"$EFW_FLEET_LAST_STATUS" | head -c 200)"
	else
		tap_fail "manifest $what refused by all $FLEET_N hosts, error in fleet status"
		fail_diag 1
	fi
	tap_check "$what: every host still applies revision $REV_B (their own status)" all_local_applied "$REV_B"
	check_traffic B "$what refused" 1 2
}

# --- The cluster and the hosts.
t0=$EPOCHREALTIME
# Not in $(...): the helpers record pids and names for the cleanup.
if ! efw_etcd_up >"$EFW_TMP/setup.log" 2>&1; then
	tap_bail "3-member etcd cluster with TLS in namespaces" "$(cat "$EFW_TMP/setup.log")"
fi
tap_ok "3-member etcd cluster with TLS in namespaces ($EFW_ID)"
nocert() {
	! in_hub curl -sS --max-time 5 --cacert "$EFW_ETCD_PKI/ca.pem" -X POST \
		-d '{"key":"Lw=="}' "https://$EFW_ETCD_NET.1:2379/v3/kv/range" 2>&1
}
tap_check "etcd refuses a client without a certificate" nocert
for ((i = 1; i <= FLEET_N; i++)); do
	kind=""
	[[ $i -le 2 ]] && kind=traffic
	efw_fleet_host_up "$i" $kind >"$EFW_TMP/setup.log" 2>&1 ||
		tap_bail "edge host $i up" "$(cat "$EFW_TMP/setup.log")"
done
tap_ok "$FLEET_N edge hosts on the etcd bridge, hosts 1 and 2 with traffic namespaces"
tap_diag "cluster and hosts set up in $(((${EPOCHREALTIME//[.,]/} - ${t0//[.,]/}) / 1000)) ms"

if ! efw_fleet_publish "$PUB/r0.yaml" || [[ ! ${EFW_FLEET_REV:-} =~ ^[0-9]+$ ]]; then
	tap_bail "publish R0" "$EFW_FLEET_PUB_OUT"
fi
tap_ok "publish R0: revision $EFW_FLEET_REV"
REV_0=$EFW_FLEET_REV
for ((i = 1; i <= FLEET_N; i++)); do
	efw_fleet_start "$i"
done
if efw_fleet_wait_converged "$REV_0" "$CONVERGE_S"; then
	tap_ok "$FLEET_N edgefwd started, all enforce R0 after $EFW_FLEET_WAIT_MS ms"
else
	tap_fail "$FLEET_N edgefwd started, all enforce R0 within $CONVERGE_S s"
	fail_diag 1
	echo "Bail out! the fleet does not start"
	exit 1
fi

# --- A: the 100k-prefix list.
publish_converge "$PUB/a.yaml" "A (100k-prefix list)" || true
REV_A=$EFW_FLEET_REV
tap_diag "100k-prefix list: publish to all $FLEET_N hosts enforcing: ${EFW_FLEET_WAIT_MS:-n/a} ms"
want_hash=$("$EDGEFW" check "$PUB/a.yaml" 2>&1 | sed -n 's/.*ruleset hash \([0-9a-f]\{16\}\).*/\1/p')
st=$EFW_FLEET_LAST_STATUS
tap_is "publish --json has the documented keys (user/json.md)" \
	"$(jq -c keys <<<"$EFW_FLEET_PUB_OUT" 2>/dev/null)" "$(efw_doc_keys publish)"
tap_is "fleet status --json has the documented keys (user/json.md)" \
	"$(jq -c keys <<<"$st" 2>/dev/null)" "$(efw_doc_keys fleet-status)"
tap_is "fleet status: group revision" "$(jq -r '.revision' <<<"$st" 2>/dev/null)" "$REV_A"
tap_is "fleet status: $FLEET_N hosts, each with edgefw check's ruleset hash" \
	"$(jq -r --arg h "$want_hash" '[.hosts[] | select(.ruleset_hash == $h)] | length' <<<"$st" 2>/dev/null)" "$FLEET_N"
tap_is "host 1's own status: source etcd, group, revision" \
	"$(efw_fleet_host_status 1 | jq -r '"\(.source.kind) \(.source.group) \(.source.applied_revision)"')" \
	"etcd $EFW_FLEET_GROUP $REV_A"
check_traffic A "100k list" 1 2

# --- B: an update.
publish_converge "$PUB/b.yaml" "B (update)" || true
REV_B=$EFW_FLEET_REV
tap_diag "update: publish to all $FLEET_N hosts enforcing: ${EFW_FLEET_WAIT_MS:-n/a} ms"
check_traffic B update 1 2

# --- Broken manifests, written by hand.
{ cat "$PUB/r0.yaml"; echo "# hand-written $EFW_ID"; } >"$PUB/hand.yaml"
sed 's/drop-77/drop-78/' "$PUB/hand.yaml" >"$PUB/hand-tampered.yaml"
broken_manifest "whose chunk does not verify" "$PUB/hand.yaml" "$PUB/hand-tampered.yaml"
{ head_yaml; printf 'rules:\n  - name: inverted\n    proto: udp\n    dport: 90-80\n    action: drop\n'; } >"$PUB/bad.yaml"
broken_manifest "that does not compile" "$PUB/bad.yaml" "$PUB/bad.yaml"
tap_is "the chunk written by hand is stored byte for byte" \
	"$(efw_etcd_ctl get "$KEYS/chunks/$HAND_SHA" -w json | jq -r '.kvs[0].value' | base64 -d | sha256sum | cut -d' ' -f1)" \
	"$HAND_SHA"

# --- Fault: one etcd member stopped (the first endpoint every host lists).
efw_etcd_stop_member 1
publish_converge "$PUB/a.yaml" "A with etcd member 1 stopped" || true
check_traffic A "member 1 stopped" 1
# Not through tap_check ($(...)): the member's new pid must be recorded.
start_etcd() {
	if efw_etcd_start_all >"$EFW_TMP/etcd-start.log" 2>&1; then
		tap_ok "$1"
	else
		tap_fail "$1" "$(cat "$EFW_TMP/etcd-start.log")"
	fi
}
start_etcd "etcd member 1 restarted, cluster healthy"

# --- Fault: every member stopped. The hosts keep enforcing, say they are
# disconnected, and catch up with a publish once etcd is back.
REV_LAST=$EFW_FLEET_REV
t_phase=$EPOCHSECONDS
efw_etcd_stop_all
disconnected() {
	efw_fleet_local_status "$1" 2>/dev/null |
		jq -e '.source | (if has("connected") then .connected else .etcd_connected end) == false' >/dev/null
}
if efw_wait_for 40 disconnected 1; then
	tap_ok "etcd down: host 1's status says it is disconnected"
else
	tap_fail "etcd down: host 1's status says it is disconnected within 40 s" \
		"$(efw_fleet_local_status 1 2>&1 | jq -c '.source' 2>&1)"
fi
check_traffic A "etcd down" 1 2
alive_all() {
	local i
	for i in "${EFW_FLEET_HOSTS[@]}"; do
		efw_fleet_alive "$i" || { echo "edgefwd of h$i exited"; return 1; }
	done
}
tap_check "etcd down: every edgefwd still running, each applies revision $REV_LAST" \
	eval 'alive_all && all_local_applied "$REV_LAST"'
start_etcd "etcd restarted, cluster healthy"
publish_converge "$PUB/b.yaml" "B after etcd restarted" || true
check_traffic B "after etcd restart" 2
tap_diag "etcd outage phase: $((EPOCHSECONDS - t_phase)) s"
REV_LAST=$EFW_FLEET_REV

# --- Fault: kill -9 the edgefwd of host 3; meanwhile host 4 is cut off
# (link down, its TCP connections destroyed) while two publishes and a
# compaction happen.
host3_gone() {
	local st
	st=$(efw_fleet_status 2>/dev/null) && ! jq -e 'any(.hosts[]?; .host == "h3")' >/dev/null <<<"$st"
}
# In the background: the first time h3 is missing from fleet status.
expiry_watch() {
	local end=$((EPOCHSECONDS + TTL_S + TTL_MARGIN_S + 30))
	while ((EPOCHSECONDS < end)); do
		if host3_gone; then
			echo "$EPOCHSECONDS" >"$EFW_TMP/h3-gone"
			return 0
		fi
		sleep 0.5
	done
}
efw_fleet_kill 3 KILL
killed_at=$EPOCHSECONDS
expiry_watch &
EFW_BG_PIDS+=("$!")
tap_check "host 4 cut off from etcd (link down)" efw_etcd_link_set "efw${EFW_ID}h4" down
in_ns "$(efw_fleet_ns 4)" ss -K dst "$EFW_ETCD_NET.0/24" >/dev/null 2>&1 || true
others=()
for ((i = 1; i <= FLEET_N; i++)); do
	[[ $i -eq 3 || $i -eq 4 ]] || others+=("$i")
done
# Two publishes while host 4 is away; only the second is waited for.
if efw_fleet_publish "$PUB/a.yaml" && [[ ${EFW_FLEET_REV:-} =~ ^[0-9]+$ ]]; then
	tap_ok "publish A with host 3 dead and host 4 cut off: revision $EFW_FLEET_REV"
else
	tap_fail "publish A with host 3 dead and host 4 cut off" "$EFW_FLEET_PUB_OUT"
fi
publish_converge "$PUB/b.yaml" "B with host 3 dead and host 4 cut off" "${others[@]}" || true
REV_CUT=$EFW_FLEET_REV
tap_check "compaction at the current revision" efw_etcd_compact
tap_is "host 4, cut off, still applies the revision before" "$(local_applied 4)" "$REV_LAST"
tap_check "host 4 reconnected (link up)" efw_etcd_link_set "efw${EFW_ID}h4" up
if efw_fleet_wait_converged "$REV_CUT" "$CONVERGE_S" 4; then
	tap_ok "host 4 reconnected after a compaction: caught up to $REV_CUT after $EFW_FLEET_WAIT_MS ms"
else
	tap_fail "host 4 reconnected after a compaction: caught up within $CONVERGE_S s"
	fail_diag 4
fi
efw_wait_for $((TTL_S + TTL_MARGIN_S + 30)) test -s "$EFW_TMP/h3-gone" || true
gone_at=$(cat "$EFW_TMP/h3-gone" 2>/dev/null) || gone_at=""
if [[ -n $gone_at ]] && ((gone_at - killed_at <= TTL_S + TTL_MARGIN_S)); then
	tap_ok "host 3 killed -9: its status key expired after $((gone_at - killed_at)) s (TTL $TTL_S s)"
else
	tap_fail "host 3 killed -9: its status key expired within $((TTL_S + TTL_MARGIN_S)) s" \
		"gone after: ${gone_at:+$((gone_at - killed_at)) s}${gone_at:-never seen}"
fi
efw_fleet_start 3
if efw_fleet_wait_converged "$REV_CUT" "$CONVERGE_S" 3; then
	tap_ok "host 3 restarted: adopts, catches up and reports again after $EFW_FLEET_WAIT_MS ms"
else
	tap_fail "host 3 restarted: adopts, catches up and reports again within $CONVERGE_S s"
	fail_diag 3
fi

# --- Host 2 "reboots" (daemon stopped, its pins gone) with etcd out of
# reach: it starts from its persisted bundle (B).
efw_fleet_kill 2 TERM
in_ns "$(efw_fleet_ns 2)" "$EDGEFW" --instance "$(efw_fleet_inst 2)" detach "$(efw_fleet_if 2)" >/dev/null 2>&1 || true
rm -rf -- "${EFW_PIN_ROOT:?}/$(efw_fleet_inst 2)"
rm -f -- "/run/edgefw/$(efw_fleet_inst 2)".*
check_traffic open "host 2 rebooted, no edgefwd yet" 2
tap_check "host 2 cut off from etcd (link down)" efw_etcd_link_set "efw${EFW_ID}h2" down
efw_fleet_start 2
if efw_wait_for 45 eval '[[ -n $REV_CUT && $(local_applied 2) == "$REV_CUT" ]]'; then
	tap_ok "host 2 started with etcd unreachable: applies its persisted bundle ($REV_CUT)"
else
	tap_fail "host 2 started with etcd unreachable: applies its persisted bundle ($REV_CUT) within 45 s" \
		"its status: $(efw_fleet_local_status 2 2>&1 | head -c 400)"
	fail_diag 2
fi
check_traffic B "persisted bundle, etcd unreachable" 2
tap_check "host 2 reconnected (link up)" efw_etcd_link_set "efw${EFW_ID}h2" up
if efw_fleet_wait_converged "$REV_CUT" "$CONVERGE_S"; then
	tap_ok "host 2 reconnected: all $FLEET_N hosts report $REV_CUT after $EFW_FLEET_WAIT_MS ms"
else
	tap_fail "host 2 reconnected: all $FLEET_N hosts report $REV_CUT within $CONVERGE_S s"
	fail_diag 2
fi
tap_check "every edgefwd still running at the end" alive_all
tap_diag "total $(((${EPOCHREALTIME//[.,]/} - ${t0//[.,]/}) / 1000)) ms"
tap_done
