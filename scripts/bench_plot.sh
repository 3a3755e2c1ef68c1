#!/usr/bin/env bash
# Plots ns/packet against ruleset size (prefixes + rules, log scale) from the
# microbenchmark's JSON, one line per program. IPv4 scenarios only: the IPv6
# ones share sizes with them and would fold each line back on itself.
#   scripts/bench_plot.sh build/bench/results.json build/bench/ns_per_packet.png
set -euo pipefail

json=${1:?usage: bench_plot.sh RESULTS.json OUT.png}
png=${2:?usage: bench_plot.sh RESULTS.json OUT.png}
data=$(mktemp)
trap 'rm -f "$data"' EXIT

# One gnuplot data block per program (two blank lines apart), its title first.
jq -r '
	[.[] | select(.family == "ipv4")] | group_by(.program) as $g
	| ($g | sort_by(.[0].program)) | .[]
	| "# \(.[0].program)",
	  (sort_by(.prefixes + .rules)[] | "\(.prefixes + .rules) \(.median_ns) \(.min_ns) \(.max_ns)"),
	  "", ""
' "$json" >"$data"
titles=$(jq -r '[.[] | select(.family == "ipv4") | .program] | unique | .[]' "$json")
n=$(printf '%s\n' "$titles" | grep -c .)

plot=""
for ((i = 0; i < n; i++)); do
	t=$(printf '%s\n' "$titles" | sed -n "$((i + 1))p")
	plot+="${plot:+, }'$data' index $i using 1:2:3:4 with yerrorlines title '${t//\'/}'"
done

gnuplot <<GP
set terminal pngcairo size 1000,620 font 'sans,11'
set output '$png'
set title 'edgefw microbenchmark: BPF\\_PROG\\_TEST\\_RUN, IPv4, median (bars: min-max)'
set xlabel 'ruleset size (prefixes + rules)'
set ylabel 'ns per packet'
set logscale x
set format x '10^{%T}'
set yrange [0:*]
set key inside left top box opaque
set grid
plot $plot
GP
echo "bench_plot: wrote $png"
