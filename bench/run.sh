#!/usr/bin/env bash
# The speed and memory benchmarks of lists and batches (bench/README.md).
#
# Builds b24 and bench/listbench, then for each scenario starts a fresh `b24 fake` as a separate
# process (time scale 10 or $SCALE, Standard limits unless said otherwise, a fresh request bucket and
# operating budget), runs the scenario against it over HTTPS (trusting its PEM) and stops it.
# Each scenario prints: time, rows a second, requests, 503s, 429s, peak memory and the
# theoretical minimum (bucket bound, operating bound). Finally the official JS SDK 2.2.0's
# fetchList and callList read 20,000 deals, side by side with b24 (no target).
#
# Every wait is bounded; the fake is stopped on any exit. Usage: bench/run.sh [scenario...]
# (scenarios: export-1m export-100k update-10k full-record slots js cpu; default all but cpu).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
SCALE="${SCALE:-10}" # the fake's time scale; SCALE=1 for real-time runs

tmp="$(mktemp -d "${TMPDIR:-/tmp}/b24-bench.XXXXXX")"
prog=bench
. "$root/scripts/fake.sh"
# fake_cpu: the CPU time the running fake has used, in seconds.
fake_cpu() {
	awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$fake_pid/stat" 2>/dev/null || echo "?"
}
cleanup() {
	stop_fake
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== bench: building b24 and listbench"
build_b24
(cd "$root" && timeout 600 go build -o "$tmp/listbench" ./bench/listbench)

lb() {
	# shellcheck disable=SC2086 # $LBFLAGS: extra listbench flags, words (e.g. -trace FILE)
	timeout 600 "$tmp/listbench" -fake-log "$tmp/fake.log" ${LBFLAGS:-} "$@"
	echo "                 (the fake used $(fake_cpu) s of CPU; load average $(cut -d' ' -f1-3 /proc/loadavg))"
}

want() { [ $# -eq 0 ] || [[ " ${SELECTED} " == *" $1 "* ]]; }
SELECTED="$*"
sel="ID,TITLE,STAGE_ID,OPPORTUNITY"
heap_1m="" heap_100k="" live_1m="" live_100k=""

if [ -z "$SELECTED" ] || want export-1m; then
	echo "== export-1m: 1,000,000 deals, select $sel, 16 shards (target: time <= T_min/0.9, no 503/429)"
	start_fake --deals 1000000
	grep -E '^(limits|time scale):' "$tmp/fake.log"
	out="$(lb -scenario export -name export-1m -select "$sel" -concurrency 16 -target 0.9)"
	echo "$out"
	heap_1m="$(sed -n 's/.*peak heap \([0-9.]*\) MiB.*/\1/p' <<<"$out")"
	live_1m="$(sed -n 's/.*peak live heap \([0-9.]*\) MiB.*/\1/p' <<<"$out")"
	# The export uses 94 % of the operating budget. The same export with the adaptive delay on
	# (off by default; on, it slows calls past 80 % of a method's budget, as the JS SDK does),
	# reported, no target:
	echo "== export-1m, adaptive delay on (reported, no target)"
	start_fake --deals 1000000
	lb -scenario export -name export-1m-adaptive -select "$sel" -concurrency 16 -target 0 -adaptive
fi

if want cpu; then
	# The client's CPU on the export-1m export (issue 16), three runs: each prints its client CPU
	# (getrusage of listbench alone, not the fake) and writes a CPU profile to
	# ${PROFDIR:-/tmp}/b24-export-1m-N.prof (go tool pprof -top "$PROFDIR/b24-export-1m-N.prof").
	# The heap is not sampled (HEAP_SAMPLE=1ms: as the other scenarios, every millisecond,
	# which wakes the process 1,000 times a second and costs it CPU time that is not the client's).
	for i in 1 2 3; do
		echo "== cpu: export-1m run $i (client CPU a row = client CPU s / 1,000,000)"
		start_fake --deals 1000000
		lb -scenario export -name export-1m -select "$sel" -concurrency 16 -target 0 -heap-sample "${HEAP_SAMPLE:-0}" \
			-cpuprofile "${PROFDIR:-/tmp}/b24-export-1m-$i.prof"
	done
fi

if [ -z "$SELECTED" ] || want export-100k; then
	echo "== export-100k: 100,000 deals, the same export (memory reference; no time target)"
	start_fake --deals 100000
	out="$(lb -scenario export -name export-100k -select "$sel" -concurrency 16 -target 0)"
	echo "$out"
	heap_100k="$(sed -n 's/.*peak heap \([0-9.]*\) MiB.*/\1/p' <<<"$out")"
	live_100k="$(sed -n 's/.*peak live heap \([0-9.]*\) MiB.*/\1/p' <<<"$out")"
fi

if [ -n "$heap_1m" ] && [ -n "$heap_100k" ] && [ -n "$live_1m" ] && [ -n "$live_100k" ]; then
	# Sampled every millisecond (runtime/metrics): the peak of the heap's objects (HeapAlloc: live
	# objects and garbage not yet collected), the target; and the peak live heap (what the
	# collector found reachable), reported.
	awk -v a="$heap_1m" -v b="$heap_100k" -v c="$live_1m" -v d="$live_100k" 'BEGIN {
		r = a / b; printf "== peak heap 1M / 100k: %.1f / %.1f MiB = %.2f (target <= 1.5: %s)\n", a, b, r, (r <= 1.5 ? "met" : "MISSED")
		printf "== peak live heap 1M / 100k: %.1f / %.1f MiB = %.2f (reported)\n", c, d, c / d }'
fi

if [ -z "$SELECTED" ] || want update-10k; then
	echo "== update-10k: 10,000 crm.deal.update through BatchByChunk, 8 chunks in flight (target: time <= T_min/0.9)"
	start_fake --deals 10000
	lb -scenario update -name update-10k -rows 10000 -concurrency 8 -target 0.9
fi

if [ -z "$SELECTED" ] || want full-record; then
	# With Standard limits the operating budget binds before the bucket only past about 1.6
	# million rows (bench/README.md); this scenario shrinks the budget instead (L 30 s and W
	# 200 s before the time scale) so that 100,000 full records overrun it by half.
	echo "== full-record: 100,000 deals, select *, UF_*; operating budget 30 s per 200 s (target: no 429, time <= the slotted bound / 0.85)"
	start_fake --deals 100000 --operating-limit 30s --operating-window 200s
	grep -E '^limits:' "$tmp/fake.log"
	lb -scenario export -name full-record -select '*' -concurrency 8 -target 0.85 -deadline 5m
fi

if [ -z "$SELECTED" ] || want slots; then
	# Issue 16: 100,000 full records, every row 1 ms of server time (P = 140 s with the pages' 20 ms),
	# against L 48 s per W 60 s kept in 10 slots (all divided by K). A client that is never refused
	# cannot beat (ceil(P/L) - 1) * W plus its last request (docs/limits.md): 123.5 s at K = 1.
	# Both billing modes, a portal clock 30 s off, costs varying (log-normal, sigma 0.5), a second
	# client (another process that does not pace itself) spending 30 % of the budget on the same webhook (50,000
	# rows; the bound takes L less 30 %), and real-portal proportions (L 480 s per W 600 s, 10 ms a row
	# and 200 ms a call, at a time scale 10 times $SCALE: the same seconds). SLOTS="1 2" runs some cases
	# (numbered from 1); CONC=N sets the export's requests in flight (default 8); RUNS=N runs each
	# selected case N times and prints its times, their median
	# and bound/median. Each case: label | the fake's flags | listbench's flags.
	base="--deals 100000 --operating-limit 48s --operating-window 60s --latency-row 1ms"
	lbf="-latency-row 1ms"
	real="--deals 100000 --operating-limit 480s --operating-window 600s --latency-row 10ms --latency-request 200ms --time-scale $((SCALE * 10))"
	lbreal="-latency-row 10ms -latency-request 200ms"
	n=0
	while IFS='|' read -r label fflags lflags; do
		n=$((n + 1))
		[ -z "${SLOTS:-}" ] || [[ " $SLOTS " == *" $n "* ]] || continue
		times="" bound=""
		for r in $(seq 1 "${RUNS:-1}"); do
			echo "== slots $n, billed $label, run $r of ${RUNS:-1}: 100,000 full records (target: no 429, time <= bound / 0.95)"
			# shellcheck disable=SC2086 # the flags are words
			start_fake $fflags </dev/null
			# shellcheck disable=SC2086
			out="$(lb -scenario export -name "slots $n" -select '*' -concurrency "${CONC:-8}" -target 0.95 -deadline 6m $lflags </dev/null)" || true
			echo "$out"
			times="$times $(sed -n 's/.* time *\([0-9.]*\) s .*/\1/p' <<<"$out" | head -1)"
			bound="$(sed -n 's/.*T_min \([0-9.]*\) s.*/\1/p' <<<"$out" | head -1)"
		done
		# RUNS=N: the case's times, their median and bound/median.
		if [ "${RUNS:-1}" -gt 1 ]; then
			tr ' ' '\n' <<<"$times" | sed '/^$/d' | sort -g | awk -v b="$bound" -v label="slots $n, $label" '
				{ t[NR] = $1; all = all (NR > 1 ? ", " : "") $1 " s" }
				END {
					if (NR == 0) { print "== " label ": no time measured"; exit }
					m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
					printf "== %s: %d runs: %s; median %.2f s, bound %s s, bound/median %.1f %%\n", label, NR, all, m, b, (b > 0 ? 100 * b / m : 0)
				}'
		fi
	done <<CASES
per method|$base --batch-per-command|$lbf
as batch|$base|$lbf
as batch, clock +30 s|$base --clock-offset 30s|$lbf
per method, clock -30 s|$base --batch-per-command --clock-offset -30s|$lbf
as batch, log-normal|$base --latency-spread 0.5|$lbf -latency-spread 0.5
as batch, another process 30 %, 50,000 rows|$base|$lbf -others 0.3 -rows 50000
per method, another process 30 %, 50,000 rows|$base --batch-per-command|$lbf -others 0.3 -rows 50000
as batch, W 600 s at scale x10|$real|$lbreal
per method, W 600 s at scale x10|$real --batch-per-command|$lbreal
CASES
fi

if [ -z "$SELECTED" ] || want js; then
	echo "== js: 20,000 deals, select $sel: the official JS SDK 2.2.0 and b24 side by side (no target)"
	for tool in node npm; do
		command -v "$tool" >/dev/null || { echo "bench: $tool is not installed; skipping the JS SDK" >&2; exit 0; }
	done
	if [ ! -d "$here/js/node_modules/@bitrix24/b24jssdk" ] || [ "$here/js/package-lock.json" -nt "$here/js/node_modules" ]; then
		(cd "$here/js" && timeout 300 npm ci --no-audit --no-fund --loglevel=error)
	fi
	start_fake --deals 20000
	timeout 60 "$tmp/listbench" -fake-log "$tmp/fake.log" -scenario bounds -rows 20000
	limits="$(grep '^limits:' "$tmp/fake.log")"
	burst="$(sed -n 's/.*bucket \([0-9]*\),.*/\1/p' <<<"$limits")"
	drain="$(sed -n 's/.*drain \([0-9.]*\)\/s.*/\1/p' <<<"$limits")"
	for mode in fetchList callList; do
		start_fake --deals 20000
		res="$(NODE_EXTRA_CA_CERTS="$tmp/fake.pem" B24_WEBHOOK_URL="$(field webhook)" B24_MODE="$mode" \
			B24_SELECT="$sel" B24_BURST="$burst" B24_DRAIN="$drain" B24_SCALE="$SCALE" \
			B24_OP_LIMIT_MS=$((480000 / SCALE)) B24_OP_WINDOW_MS=$((600000 / SCALE)) \
			timeout 600 node "$here/js/lists.mjs")"
		after="$(curl -s --max-time 10 --cacert "$tmp/fake.pem" "$(field audit)")"
		node -e '
			const r = JSON.parse(process.argv[1]), a = JSON.parse(process.argv[2])
			const s = a.by_status || {}
			console.log(`js ${r.mode.padEnd(13)} rows ${String(r.rows).padStart(8)}  time ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${String(Math.round(r.rows / r.ms * 1000)).padStart(7)} rows/s  requests ${String(a.requests).padStart(4)}  503 ${s["503"] || 0}  429 ${s["429"] || 0}  peak heap ${r.peakHeapMiB} MiB  peak RSS ${r.peakRssMiB} MiB  unique ids ${r.unique}`)
		' "$res" "$after"
	done
	start_fake --deals 20000
	lb -scenario export -name "b24 FetchList" -select "$sel" -concurrency 1 -target 0
	start_fake --deals 20000
	lb -scenario export -name "b24 8 shards" -select "$sel" -concurrency 8 -target 0
fi
echo "== bench: done"
