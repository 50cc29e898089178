#!/usr/bin/env bash
# b24 sync side by side with b24 list to NDJSON (bench/README.md, "Database sync").
#
# Starts `b24 fake` (time scale $SCALE, Standard limits, N deals), then RUNS times each:
#   list    b24 list crm.deal.list --select '*' -o deals.ndjson (the same rows a sync reads)
#   listsel the same with the sync's select list (every field of crm.deal.fields, UF_*; needs jq;
#           only when WHAT names it)
#   sqlite  a first b24 sync crm.deal into a fresh SQLite file
#   pg      a first b24 sync crm.deal into a fresh schema of the PostgreSQL server at $PG_URL
#           (else $B24_TEST_POSTGRES, else a throw-away cluster from scripts/postgres.sh, stopped
#           at the end)
# then changes 1 % of the deals and deletes 0.1 % (b24 batch) and re-syncs each database once,
# printing the requests against the estimate changed/2500 + ids/2500.
# Each phase runs on a fresh fake (a fresh request bucket and operating budget).
# Every wait is bounded; the fake and the cluster are stopped on any exit.
# Each line gives the wall time, the requests, the client's CPU (user + sys) and peak RSS (GNU
# time), bound/time and the load average; the summary is a Markdown table of the medians of the
# RUNS runs per target (bound/median against T_min, bench/listbench -scenario bounds: the bucket
# bound and the slotted operating bound of a chained walk of N rows, as bench/run.sh's `slots`).
# Usage: bench/sync.sh  (N=100000 RUNS=3 SCALE=10 by default; TIMEOUT=900 s a command;
# WHAT="list sqlite pg" the first-sync phases; RESYNC=0 skips the re-sync)
# PROPORTIONS=real: the fake bills full records as a real portal does (limits-math.md: a page of 50
# costs ~0.1 s of server time: ROW=1.6ms a row and REQ=20ms a call, so 1,000,000 rows cost ~2,000 s)
# against the operating budget L 480 s per W 600 s (all divided by SCALE, 20 by default in this
# mode). The final table of issue 18 (about 75 min on a quiet machine):
#   PROPORTIONS=real N=1000000 SCALE=5 RUNS=3 RESYNC=0 TIMEOUT=1500 bench/sync.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
N="${N:-100000}"
RUNS="${RUNS:-3}"
PROPORTIONS="${PROPORTIONS:-}" # real: per-row server time and the real operating budget
if [ "$PROPORTIONS" = real ]; then
	SCALE="${SCALE:-20}"
	ROW="${ROW:-1.6ms}" # the fake's --latency-row (server time a full record costs)
	REQ="${REQ:-20ms}"  # its --latency-request (server time of every call)
	fakeflags="--latency-row $ROW --latency-request $REQ --operating-limit 480s --operating-window 600s"
else
	SCALE="${SCALE:-10}"
	fakeflags=""
fi
WHAT="${WHAT:-list sqlite pg}" # the first-sync phases to run
RESYNC="${RESYNC:-1}"          # 0: no re-sync phase
tmp="$(mktemp -d "${TMPDIR:-/tmp}/b24-sync-bench.XXXXXX")"
prog=sync-bench
. "$root/scripts/fake.sh"
stop_postgres() { :; }
cleanup() {
	stop_fake
	[ -z "${PG_URL:-}" ] || dropschemas
	stop_postgres
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_b24
(cd "$root" && timeout 600 go build -o "$tmp/listbench" ./bench/listbench)
PG_URL="${PG_URL:-${B24_TEST_POSTGRES:-}}"
case " $WHAT " in *" pg "*) wantpg=1 ;; *) wantpg="$RESYNC" ;; esac
if [ -z "$PG_URL" ] && [ "$wantpg" = 1 ]; then
	(cd "$root" && . scripts/postgres.sh && declare -p pg_dir pg_bin pg_port pg_as >"$tmp/pg.env")
	. "$tmp/pg.env"
	stop_postgres() { "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
	PG_URL="postgres://b24@127.0.0.1:$pg_port/postgres?sslmode=disable"
fi
# pgurl: a fresh schema of the server at $PG_URL, as a URL; each is dropped at the end (dropschemas),
# a first sync's right after its run.
pgurl() {
	local s="bench_$RANDOM$RANDOM" sep="?"
	[ "${PG_URL#*\?}" = "$PG_URL" ] || sep="&"
	PGOPTIONS="-c client_min_messages=warning" psql -q "$PG_URL" -c "CREATE SCHEMA $s" >/dev/null
	echo "$s" >>"$tmp/schemas"
	echo "$PG_URL${sep}search_path=$s"
}
dropschemas() {
	[ -s "$tmp/schemas" ] || return 0
	while read -r s; do
		PGOPTIONS="-c client_min_messages=warning" timeout 300 psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true
	done <"$tmp/schemas"
	: >"$tmp/schemas"
}

b24() { SSL_CERT_FILE="$tmp/fake.pem" B24_WEBHOOK="$(field webhook)" timeout "${TIMEOUT:-900}" "$tmp/b24" "$@"; }
# timed CMD...: runs b24 CMD..., its CPU (user + sys) and peak RSS in $tmp/cpu.txt when GNU time is there.
timed() {
	if [ -x /usr/bin/time ]; then
		SSL_CERT_FILE="$tmp/fake.pem" B24_WEBHOOK="$(field webhook)" /usr/bin/time -f '%U %S %M' -o "$tmp/cpu.txt" \
			timeout "${TIMEOUT:-900}" "$tmp/b24" "$@"
	else
		: >"$tmp/cpu.txt"
		b24 "$@"
	fi
}
cpu() { awk '{ if (NF == 3) printf "client CPU %.1f s, peak RSS %.0f MiB", $1 + $2, $3 / 1024 }' "$tmp/cpu.txt"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# shellcheck disable=SC2086 # $fakeflags: words
start() { start_fake --deals "$N" --seed 1 $fakeflags >/dev/null; }
start
grep -E '^limits:' "$tmp/fake.log" || true
latflags=()
[ "$PROPORTIONS" != real ] || latflags=(-latency-row "$ROW" -latency-request "$REQ")
b="$(timeout 60 "$tmp/listbench" -fake-log "$tmp/fake.log" -scenario bounds -rows "$N" "${latflags[@]}")"
echo "bounds of a chained walk of $N rows${PROPORTIONS:+ at ${ROW} a row, ${REQ} a call}, time scale $SCALE: $b"
tmin="$(sed -n 's/.*T_min \([0-9.]*\) s.*/\1/p' <<<"$b")" # the theoretical minimum
# ratio SECONDS: bound/time in %.
ratio() { awk -v b="$tmin" -v t="$1" 'BEGIN { if (b > 0 && t > 0) printf "%.0f %%", 100 * b / t; else printf "-" }'; }

declare -A times reqs cpus rsss
for i in $(seq "$RUNS"); do
	for what in $WHAT; do
		start
		t0=$(date +%s%N)
		case $what in
		list) timed list crm.deal.list --select '*' --quiet -o "$tmp/deals.ndjson" 2>"$tmp/list.err" ;;
		listsel) # the sync's select: every field crm.deal.fields names but UF_*, then UF_* (needs jq)
			sel="$(b24 call crm.deal.fields | jq -r '[keys_unsorted[] | select(startswith("UF_") | not)] + ["UF_*"] | join(",")')"
			t0=$(date +%s%N)
			timed list crm.deal.list --select "$sel" --quiet -o "$tmp/deals.ndjson" 2>"$tmp/list.err" ;;
		sqlite) rm -f "$tmp/s.db"*; timed sync crm.deal --db "sqlite:$tmp/s.db" --quiet --json >"$tmp/rep.json" ;;
		pg) u="$(pgurl)"; t0=$(date +%s%N); timed sync crm.deal --db "$u" --quiet --json >"$tmp/rep.json" ;;
		esac
		t1=$(date +%s%N)
		t="$(secs "$t0" "$t1")"
		req="$(grep -o '"Requests":[0-9]*' "$tmp/rep.json" 2>/dev/null | cut -d: -f2 || true)"
		[ "${what#list}" != "$what" ] && req="$(grep -o '[0-9]* requests' "$tmp/list.err" | head -1 | cut -d' ' -f1 || true)"
		times[$what]+="$t "
		reqs[$what]+="${req:--} "
		cpus[$what]+="$(awk '{ if (NF == 3) printf "%.1f", $1 + $2; else printf "-" }' "$tmp/cpu.txt") "
		rsss[$what]+="$(awk '{ if (NF == 3) printf "%.0f", $3 / 1024; else printf "-" }' "$tmp/cpu.txt") "
		echo "run $i $what: $t s ${req:+($req requests)} $(cpu), bound/time $(ratio "$t"), load $(cut -d' ' -f1-3 /proc/loadavg)"
		[ "$what" != pg ] || dropschemas
	done
done
# med WORDS: the median of numbers (- when none).
med() { tr ' ' '\n' <<<"$1" | grep -E '^[0-9.]+$' | median | grep . || echo -; }
echo "== first sync of $N deals, time scale $SCALE${PROPORTIONS:+, proportions $PROPORTIONS}, T_min $tmin s, medians of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| $N deals | median | bound/median | runs | requests | client CPU | peak RSS |"
echo "|---|---|---|---|---|---|---|"
for what in $WHAT; do
	m="$(med "${times[$what]}")"
	echo "| $what | $m s | $(ratio "$m") | ${times[$what]% } | $(med "${reqs[$what]}") | $(med "${cpus[$what]}") s | $(tr ' ' '\n' <<<"${rsss[$what]}" | grep -E '^[0-9]+$' | sort -n | tail -1) MiB |"
done

[ "$RESYNC" = 1 ] || exit 0
echo "== re-sync after 1 % changed and 0.1 % deleted"
start
dbs=("sqlite:$tmp/r.db")
[ -z "$PG_URL" ] || dbs+=("$(pgurl)")
for db in "${dbs[@]}"; do b24 sync crm.deal --db "$db" --quiet --json >/dev/null; done
b24 list crm.deal.list --select ID --quiet -o "$tmp/ids.ndjson" 2>/dev/null
ids=$(wc -l <"$tmp/ids.ndjson")
awk -F'"' 'NR % 100 == 1 { printf "{\"method\":\"crm.deal.update\",\"params\":{\"id\":%s,\"fields\":{\"TITLE\":\"bench\"}}}\n", $4 }
	NR % 1000 == 500 { printf "{\"method\":\"crm.deal.delete\",\"params\":{\"id\":%s}}\n", $4 }' "$tmp/ids.ndjson" >"$tmp/cmds.ndjson"
changed=$(grep -c update "$tmp/cmds.ndjson")
deleted=$(grep -c delete "$tmp/cmds.ndjson")
b24 batch --yes "$tmp/cmds.ndjson" >/dev/null
est=$(((changed + 2499) / 2500 + (ids + 2499) / 2500))
for db in "${dbs[@]}"; do
	t0=$(date +%s%N)
	b24 sync crm.deal --db "$db" --quiet --json >"$tmp/rep.json"
	t1=$(date +%s%N)
	echo "${db%%:*}: $changed changed, $deleted deleted of $ids: $(secs "$t0" "$t1") s, report $(cat "$tmp/rep.json"); estimate changed/2500 + ids/2500 = $est requests (+ 1: the start-up batch of server.time, fields and the probe)"
done
