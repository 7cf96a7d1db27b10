#!/usr/bin/env bash
# Times `cmkguard scan` on generated enterprise estates against the floor any
# JSON reader has to beat: one bare jsontext token pass over the same file.
#
#   scripts/bench.sh                 10k, 100k and 1M resources, 3 runs each
#   scripts/bench.sh 10000 250000    other sizes
#   RUNS=5 BENCH_DIR=/var/tmp/cmkguard-bench scripts/bench.sh
#
# For each size it writes an NDJSON estate (cmd/estategen, seed 1) into
# BENCH_DIR (default: a new directory under ${TMPDIR:-/tmp}; estates already
# there are reused), then runs, RUNS times each and side by side,
#   estategen -tokens FILE                                   (the token pass)
#   cmkguard scan FILE --format json --no-history -o /dev/null
# under GNU time, and prints the median wall time of each, the ratio
# scan / token pass, and the peak resident set size of each. Both binaries
# are built once, before anything is timed. Nothing is installed: GNU time
# comes from the Debian package `time` (apt-get install time).
#
# SCAN_ARGS adds arguments to the scan, e.g. SCAN_ARGS="--policy p.yaml".
# Run it by hand on an otherwise idle machine; it is not part of CI. The load
# average is printed first, since other work on the machine skews the times.
set -euo pipefail
cd "$(dirname "$0")/.."

GNUTIME=/usr/bin/time
if ! "$GNUTIME" -v true >/dev/null 2>&1; then
	echo "bench.sh needs GNU time at $GNUTIME: apt-get install time" >&2
	exit 1
fi

RUNS=${RUNS:-3}
SIZES=("$@")
if [ ${#SIZES[@]} -eq 0 ]; then
	SIZES=(10000 100000 1000000)
fi
BENCH_DIR=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/cmkguard-bench.XXXXXX")}
mkdir -p "$BENCH_DIR"
BIN="$BENCH_DIR/bin"
mkdir -p "$BIN"

echo "== building cmkguard and estategen"
go build -o "$BIN/cmkguard" ./cmd/cmkguard
go build -o "$BIN/estategen" ./cmd/estategen

# measure CMD... runs CMD under GNU time and prints "SECONDS KIB CPU_SECONDS"
# (wall time, peak RSS, user plus system time: the scan uses every core, the
# token pass one).
measure() {
	local log
	log=$(mktemp "$BENCH_DIR/time.XXXXXX")
	if ! "$GNUTIME" -v "$@" >/dev/null 2>"$log"; then
		echo "command failed: $*" >&2
		cat "$log" >&2
		rm -f "$log"
		exit 1
	fi
	awk -F': ' '
		/Elapsed \(wall clock\) time/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
			wall = s
		}
		/Maximum resident set size/ { rss = $2 }
		/User time \(seconds\)/ || /System time \(seconds\)/ { cpu += $2 }
		END { printf "%.3f %d %.2f\n", wall, rss, cpu }' "$log"
	rm -f "$log"
}

# median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); estates in $BENCH_DIR"
results=()
for n in "${SIZES[@]}"; do
	file="$BENCH_DIR/estate-$n.ndjson"
	if [ ! -s "$file" ]; then
		echo "== generating $n resources"
		"$BIN/estategen" -n "$n" -seed 1 -o "$file"
	fi
	cat "$file" >/dev/null # into the page cache, so that neither side pays for the disk
	tok_t=() tok_m=() scan_t=() scan_m=() scan_c=()
	for run in $(seq "$RUNS"); do
		read -r t m _ < <(measure "$BIN/estategen" -tokens "$file")
		tok_t+=("$t") tok_m+=("$m")
		# shellcheck disable=SC2086
		read -r t m c < <(measure "$BIN/cmkguard" scan "$file" --format json --no-history --fail-on none -o /dev/null ${SCAN_ARGS:-})
		scan_t+=("$t") scan_m+=("$m") scan_c+=("$c")
		echo "   $n run $run: token pass ${tok_t[-1]} s, ${tok_m[-1]} KiB; scan ${scan_t[-1]} s (CPU ${scan_c[-1]} s), ${scan_m[-1]} KiB"
	done
	tt=$(printf '%s\n' "${tok_t[@]}" | median)
	st=$(printf '%s\n' "${scan_t[@]}" | median)
	sc=$(printf '%s\n' "${scan_c[@]}" | median)
	tm=$(printf '%s\n' "${tok_m[@]}" | sort -n | tail -1)
	sm=$(printf '%s\n' "${scan_m[@]}" | sort -n | tail -1)
	size=$(stat -c %s "$file")
	results+=("$(awk -v n="$n" -v size="$size" -v tt="$tt" -v st="$st" -v sc="$sc" -v tm="$tm" -v sm="$sm" 'BEGIN {
		printf "| %9d | %8.1f | %8.3f | %8.3f | %6.1f | %8.2f | %9.1f | %9.1f |", n, size / 1048576, tt, st, (tt > 0 ? st / tt : 0), sc, tm / 1024, sm / 1024 }')")
done

echo
echo "median of $RUNS runs (scan CPU: user plus system seconds); peak RSS is the largest of the runs"
echo "| resources | file MiB | token s  | scan s   | ratio  | scan CPU | token MiB | scan MiB  |"
echo "|----------:|---------:|---------:|---------:|-------:|---------:|----------:|----------:|"
printf '%s\n' "${results[@]}"
