#!/usr/bin/env bash
# bench/perf.sh: the figures of docs/PERFORMANCE.md, from one run.
#
#   bash bench/perf.sh            the table (about 15 minutes on 2 cores)
#   bash bench/perf.sh --quick    the rows that take under a minute
#
# Prints the machine, the physical floor per state (bench/floor), and a
# Markdown table: scope, bound, states, transitions, seconds, states/s,
# visited-set bytes/state, max RSS, and the ratio of the wall time per
# transition to the floor. SPIN's row comes from bench/spin/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1

bin=$(mktemp -d)/anoncheck
go build -o "$bin" .

echo "date: $(date -u +%Y-%m-%d)  go: $(go env GOVERSION)  cpus: $(nproc)  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')  mem: $(free -g | awk '/Mem:/ {print $2}') GiB"

floor=$(go test -run '^$' -bench '^BenchmarkFloor$' -benchtime 3000000x ./bench/floor | awk '/^BenchmarkFloor/ {print $3}')
echo "floor (copy + XXH3 + insert, per state): $floor ns"
echo "two goroutines over one, nothing shared (bench/floor BenchmarkScaling): $(go test -run '^$' -bench '^BenchmarkScaling$' -benchtime 3x ./bench/floor | awk '/^BenchmarkScaling/ {n = split($1, a, "/"); sub(/-[0-9]+$/, "", a[n]); printf "%s %sx  ", a[n], $(NF-1)}')"
echo

row() { # row LABEL ARGS...: one line of the table
	local label=$1
	shift
	local out
	out=$( { /usr/bin/time -f 'rss %M' "$bin" --progress never --traces=false --force "$@" 2>&1 || true; } )
	echo "$out" | awk -v label="$label" -v floor="$floor" '
		/explored [0-9]+ states/ {
			for (i = 1; i <= NF; i++) {
				if ($i == "explored") states = $(i+1)
				if ($i == "transitions,") trans = $(i-1)
				if ($i == "depth") depth = $(i+1)
				if ($i == "states/s,") rate = $(i-1)
			}
			secs = $0; sub(/.*depth [0-9]+, /, "", secs); sub(/,.*/, "", secs)
		}
		/visited set/ { for (i = 1; i <= NF; i++) if ($i == "bytes/state,") bps = $(i-1) }
		/^rss/ { rss = int($2 / 1024) }
		/incomplete/ { note = " (incomplete)" }
		END {
			s = secs; mult = 1
			if (s ~ /ms$/) { sub(/ms$/, "", s); mult = 0.001 }
			else if (s ~ /m/) { split(s, a, "m"); sub(/s$/, "", a[2]); s = a[1] * 60 + a[2] }
			else sub(/s$/, "", s)
			s = s * mult
			nst = (trans > 0) ? s * 1e9 / trans : 0
			printf "| %s%s | %s | %s | %.1f | %s | %s | %d MiB | %.0f | %.1f |\n", label, note, states, trans, s, rate, bps, rss, nst, nst / floor
		}'
}

echo "| run | states | transitions | seconds | states/s | visited B/state | max RSS | ns/transition | x floor |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
row "v5.4 pages=2 procs=2 bound 4, 1 worker" --spec v5.4 --bound 4 --workers 1
row "v5.4 pages=2 procs=2 bound 4, 2 workers" --spec v5.4 --bound 4 --workers 2
row "v5.4 pages=1 procs=3 bound 8, symmetry off" --spec v5.4 --pages 1 --procs 3 --bound 8 --symmetry off
row "v5.4 pages=1 procs=3 bound 8, symmetry objects" --spec v5.4 --pages 1 --procs 3 --bound 8 --symmetry objects
row "v5.4 pages=1 procs=3 bound 8, symmetry full" --spec v5.4 --pages 1 --procs 3 --bound 8 --symmetry full
if [ "$quick" = 0 ]; then
	row "v5.4 pages=2 procs=2 bound 5, 1 worker" --spec v5.4 --bound 5 --workers 1
	row "v5.4 pages=2 procs=2 bound 5, 2 workers" --spec v5.4 --bound 5 --workers 2
	row "v5.4 pages=2 procs=2 bound 5, symmetry objects" --spec v5.4 --bound 5 --symmetry objects
	row "v5.4 pages=2 procs=4 bound 5" --spec v5.4 --procs 4 --bound 5
	row "v5.4 pages=1 procs=4 bound 12" --spec v5.4 --pages 1 --procs 4 --bound 12
	start=$(date +%s.%N)
	"$bin" --bound 5 --progress never --traces=false > /dev/null || true
	echo
	echo "all eight variants, pages=2 procs=2 bound 5: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
