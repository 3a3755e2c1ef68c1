#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Runs edgefw's tests (what `make test` calls after building) and sums up
# their TAP output.
#
#   tests/run.sh [-k PATTERN]... [unit|fuzz|datapath|netns]...
#
# Groups, always in this order: unit (build/tests/unit/test_*, cmocka with
# CMOCKA_MESSAGE_OUTPUT=TAP, and tests/unit/test_*.sh: checks of files such
# as the systemd unit), fuzz (each build/fuzz/fuzz_* libFuzzer target
# for EFW_FUZZ_SECONDS, default 12 (five targets: about 70 s), on a copy of its seed corpus, through
# tests/fuzz/run_target.sh), datapath (build/tests/datapath/dptest) and
# netns (tests/netns/test_*.sh). No group named: all of them.
# -k PATTERN keeps only programs whose file name contains PATTERN (shell
# glob characters allowed); several -k are alternatives.
#
# Counting: "ok" lines pass, "not ok" lines fail, either with a "# SKIP"
# directive is skipped. A program that exits non-zero, times out or dies
# without reporting a failure, reports no result at all or not as many as
# its plan ("1..N") says, adds one failure named after it. Leftovers (efw-* namespaces, efw* links in this namespace,
# /sys/fs/bpf/edgefw/t-* pins, processes the tests started) that were not
# there before the run add one failure.
#
# Timeouts: 300 s per unit test (60 s per unit test script unless it has a
# line "# efw-timeout: N"), fuzz time + 60 s, 300 s for the datapath,
# 180 s per namespace test unless its file has a line "# efw-timeout: N".
# Environment: EFW_TEST_TIMEOUT overrides every per-program timeout (seconds).
# The last line is always "N passed, N failed[, N skipped]"; exit status 1
# when anything failed.
set -uo pipefail

usage() {
	echo "usage: tests/run.sh [-k PATTERN]... [unit|fuzz|datapath|netns]..." >&2
	exit 2
}

cd "$(dirname "$(readlink -f "$0")")/.." || exit 2

declare -A want=()
patterns=()
while [[ $# -gt 0 ]]; do
	case $1 in
	-k)
		[[ $# -ge 2 && -n $2 ]] || usage
		patterns+=("$2")
		shift 2
		;;
	-k?*)
		patterns+=("${1#-k}")
		shift
		;;
	unit | fuzz | datapath | netns)
		want[$1]=1
		shift
		;;
	-h | --help) usage ;;
	*)
		echo "run.sh: unknown argument: $1" >&2
		usage
		;;
	esac
done
[[ ${#want[@]} -gt 0 ]] || want=([unit]=1 [fuzz]=1 [datapath]=1 [netns]=1)

# Every process a test starts inherits this marker, which is how stray
# processes are found afterwards, even in namespaces already deleted.
run_id="$$-${EPOCHSECONDS:-0}-$RANDOM"
logdir=$(mktemp -d "${TMPDIR:-/tmp}/efw-run.XXXXXX") || exit 2
trap 'rm -rf -- "$logdir"' EXIT
# timeout puts each program in a process group of its own, out of reach of
# the terminal's Ctrl-C: pass the signal on (timeout relays it to the whole
# group) and give the program's cleanup a bounded time to finish.
cur_pid=""
on_signal() {
	local i
	echo "run.sh: interrupted" >&2
	if [[ -n $cur_pid ]]; then
		# cur_pid is the subshell; its child is timeout, leader of the group.
		local tpid
		tpid=$(pgrep -P "$cur_pid" -x timeout)
		if [[ -n $tpid ]]; then
			kill "-$1" "$tpid" 2>/dev/null
			for ((i = 0; i < 150; i++)); do
				kill -0 "$tpid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL -- "-$tpid" 2>/dev/null
		fi
	fi
	exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

passed=0 failed=0 skipped=0
failures=()

matches() {
	local name=$1 p
	[[ ${#patterns[@]} -eq 0 ]] && return 0
	for p in "${patterns[@]}"; do
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		[[ $name == *$p* ]] && return 0
	done
	return 1
}

# Lists leftovers, one per line, "kind name".
leftovers() {
	local n f pid comm
	if [[ -d /run/netns ]]; then
		for f in /run/netns/efw-*; do
			[[ -e $f ]] && echo "netns ${f##*/}"
		done
	fi
	ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		while read -r n; do
			[[ $n == efw* ]] && echo "link $n"
		done
	for f in /sys/fs/bpf/edgefw/t-*; do
		[[ -e $f ]] && echo "pin $f"
	done
	local -A seen=()
	# Only the tests' processes carry the marker (this script does not).
	while read -r f; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		seen[$pid]=1
		echo "process $pid ($comm)"
	done < <(grep -lzxF "EFW_TEST_RUN=$run_id" /proc/[0-9]*/environ 2>/dev/null)
	# socat/ping still inside one of the efw-* namespaces, whoever started them.
	if [[ -d /run/netns ]]; then
		for f in /run/netns/efw-*; do
			[[ -e $f ]] || continue
			for pid in $(ip netns pids "${f##*/}" 2>/dev/null); do
				[[ -z ${seen[$pid]:-} ]] || continue
				comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
				[[ $comm == socat || $comm == ping ]] && echo "process $pid ($comm) in ${f##*/}"
			done
		done
	fi
	return 0
}

# run_prog GROUP TIMEOUT PROG [ENV=VAL...] [-- ARG...]
run_prog() {
	local group=$1 limit=$2 prog=$3 name log pid tailpid rc start t
	local -a envs=() args=()
	shift 3
	while [[ $# -gt 0 && $1 != -- ]]; do
		envs+=("$1")
		shift
	done
	[[ $# -gt 0 ]] && shift
	args=("$@")
	name=${prog#./}${args[*]:+ ${args[*]}}
	limit=${EFW_TEST_TIMEOUT:-$limit}
	log=$logdir/$(basename "$prog")${args[*]:+-$(basename "${args[-1]}")}.log
	echo
	echo "======== $group: $name ========"
	start=${EPOCHREALTIME//[.,]/}
	# The log exists before tail opens it: the program's redirection may
	# come later, and tail gives up on a missing file.
	: >"$log"
	# Output goes to a file and is streamed by tail: a stray background
	# process holding the output open cannot block the runner, as it would
	# with a pipe. timeout signals the program's whole process group.
	# The subshell turns a death by signal into an exit status, so bash
	# reports nothing out of place; it writes its own stderr nowhere.
	(
		env EFW_TEST_RUN="$run_id" "${envs[@]}" timeout -k 10 "$limit" \
			"$prog" "${args[@]}" </dev/null >"$log" 2>&1
		exit $?
	) 2>/dev/null &
	pid=$!
	cur_pid=$pid
	tail -n +1 -s 0.1 --pid="$pid" -f "$log" &
	tailpid=$!
	wait "$pid"
	rc=$?
	wait "$tailpid"
	cur_pid=""
	t=$(((${EPOCHREALTIME//[.,]/} - start) / 1000))

	# TAP result lines only at the start of a line (indented ones belong to
	# subtests). cmocka prints skipped tests as "not ok N # SKIP name".
	local p=0 f=0 s=0 line why="" planned="" results=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ ^(not\ )?ok([[:space:]]|$) ]]; then
			results=$((results + 1))
			if [[ $line =~ \#[[:space:]]*[Ss][Kk][Ii][Pp] ]]; then
				s=$((s + 1))
			elif [[ $line == "not ok"* ]]; then
				f=$((f + 1))
				failures+=("$name: $line")
			else
				p=$((p + 1))
			fi
		elif [[ $line =~ ^1\.\.([0-9]+)([[:space:]]|$) ]]; then
			# Several plans (one per cmocka group) add up.
			planned=$((${planned:-0} + BASH_REMATCH[1]))
			# "1..0 # SKIP why": the whole program skipped itself.
			[[ $line =~ ^1\.\.0[[:space:]]*\#[[:space:]]*[Ss][Kk][Ii][Pp] ]] && s=$((s + 1))
		fi
	done <"$log"

	if [[ $rc -eq 124 ]] || ((rc == 137 && t >= limit * 1000)); then
		why="timed out after ${limit}s"
	elif [[ $rc -gt 128 ]]; then
		why="killed by signal $((rc - 128))"
	elif [[ $rc -ne 0 ]]; then
		why="exited with status $rc"
	elif [[ $((p + f + s)) -eq 0 ]]; then
		why="reported no test result"
	elif [[ -n $planned && $planned -ne $results ]]; then
		why="planned $planned tests but reported $results"
	fi
	# A crash after reported failures is already counted; a timeout never is
	# (the cases that did not get to run are missing).
	if [[ -n $why && ($f -eq 0 || $why == timed*) ]]; then
		f=$((f + 1))
		failures+=("$name: $why")
	fi
	echo "-------- $name: $p passed, $f failed, $s skipped (exit $rc, $((t / 1000)).$(printf '%03d' $((t % 1000)))s)"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

before=$(leftovers | sort)
ran=0

if [[ -n ${want[unit]:-} ]]; then
	for prog in build/tests/unit/test_*; do
		[[ -f $prog && -x $prog ]] || continue
		matches "${prog##*/}" || continue
		run_prog unit 300 "$prog" CMOCKA_MESSAGE_OUTPUT=TAP
		ran=$((ran + 1))
	done
	for prog in tests/unit/test_*.sh; do
		[[ -f $prog ]] || continue
		matches "${prog##*/}" || continue
		# As for namespace tests: "# efw-timeout: N" (two builds, say).
		limit=$(sed -n 's/^# efw-timeout: *\([0-9][0-9]*\)$/\1/p' "$prog" | head -n 1)
		run_prog unit "${limit:-60}" "$prog"
		ran=$((ran + 1))
	done
fi

if [[ -n ${want[fuzz]:-} ]]; then
	fuzz_seconds=${EFW_FUZZ_SECONDS:-12}
	for prog in build/fuzz/fuzz_*; do
		[[ -f $prog && -x $prog ]] || continue
		matches "${prog##*/}" || continue
		run_prog fuzz $((fuzz_seconds + 60)) tests/fuzz/run_target.sh \
			EFW_FUZZ_SECONDS="$fuzz_seconds" -- "$prog"
		ran=$((ran + 1))
	done
fi

if [[ -n ${want[datapath]:-} ]]; then
	prog=build/tests/datapath/dptest
	if [[ -x $prog ]] && matches "${prog##*/}"; then
		# Every group, conntrack, dynamic sets and ClassBench included:
		# about 6 minutes on a loaded 2-CPU machine.
		run_prog datapath 900 "$prog"
		ran=$((ran + 1))
	fi
fi

if [[ -n ${want[netns]:-} ]]; then
	for prog in tests/netns/test_*.sh; do
		[[ -f $prog ]] || continue
		matches "${prog##*/}" || continue
		# A test that runs others says how long it needs: "# efw-timeout: N".
		limit=$(sed -n 's/^# efw-timeout: *\([0-9][0-9]*\)$/\1/p' "$prog" | head -n 1)
		run_prog netns "${limit:-180}" "$prog"
		ran=$((ran + 1))
	done
fi

echo
if [[ $ran -eq 0 ]]; then
	if [[ ${#patterns[@]} -gt 0 ]]; then
		failed=$((failed + 1))
		failures+=("no test program matches -k ${patterns[*]}")
	else
		echo "note: no test programs found (nothing built yet?)"
	fi
fi

# EFW_NO_LEFTOVER_CHECK=1 (the package build's unit tests, which start no
# namespace, pin or process): other runs on the machine cannot fail it.
after=$(leftovers | sort)
[[ ${EFW_NO_LEFTOVER_CHECK:-0} == 1 ]] && after=$before
new=$(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
old=$(comm -12 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed '/^$/d')
if [[ -n $old ]]; then
	echo "note: present before this run, not counted: $(paste -sd, <<<"$old" | sed 's/,/, /g')"
fi
if [[ -n $new ]]; then
	msg="leftovers after tests: $(paste -sd, <<<"$new" | sed 's/,/, /g')"
	echo "$msg"
	failed=$((failed + 1))
	failures+=("$msg")
fi

if [[ ${#failures[@]} -gt 0 ]]; then
	echo "Failures:"
	printf '  %s\n' "${failures[@]}"
fi
if [[ $skipped -gt 0 ]]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
