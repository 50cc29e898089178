#!/usr/bin/env bash
# The shared limiter's aggregate throughput (bench/README.md, "Shared limiter (Redis)").
#
# Builds b24, starts a redis-server on loopback (or uses $B24_TEST_REDIS), then RUNS times,
# each against a fresh `b24 fake` (DEALS deals, bucket BURST, time scale SCALE): PROCS separate
# `b24 list crm.deal.list` processes export every deal at once, each to its own file, with
# --redis (and once without, for comparison). Each run prints the wall time of the whole
# group, the requests and 503s the fake's audit counted, and the theoretical minimum of the
# bucket bound (bench/README.md): H = the requests of the PROCS exports, X = BURST,
# Y = 2 × SCALE a second,
#
#     T_min = max(0, H − X) / Y + one chained request's modelled time
#           = max(0, H − X) / Y + 50 × (20 ms + 50 × 50 µs) / SCALE,
#
# and T_min / time (target: at least 85 % with --redis); the operating bound (P at most 0.1125 s
# of scaled server time a request, L = 48 s per 60 s at SCALE 10) is printed too and stays 0
# below about 420 requests. Every output file is checked to hold
# every deal once. Every wait is bounded; the fake and Redis are stopped on any exit.
#
# Usage: bench/redis4.sh            (DEALS=50000 PROCS=4 BURST=10 SCALE=10 RUNS=3 by default)
#        DEALS=200000 RUNS=2 bench/redis4.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
DEALS="${DEALS:-50000}"
PROCS="${PROCS:-4}"
BURST="${BURST:-10}"
SCALE="${SCALE:-10}"
RUNS="${RUNS:-3}"
SELECT="${SELECT:-ID,TITLE}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/b24-redis4.XXXXXX")"
prog=redis4
. "$root/scripts/fake.sh"
redis_pid=""
cleanup() {
	stop_fake
	stop_pid "$redis_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== redis4: building b24"
build_b24

redis="${B24_TEST_REDIS:-}"
if [ -z "$redis" ]; then
	command -v redis-server >/dev/null || { echo "redis4: no redis-server and no B24_TEST_REDIS" >&2; exit 1; }
	for _ in $(seq 10); do
		port=$((20000 + RANDOM % 30000))
		redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
			--loglevel warning >/dev/null 2>&1 &
		redis_pid=$!
		for _ in $(seq 50); do
			if redis-cli -p "$port" info server 2>/dev/null | grep -qE "^process_id:${redis_pid}[^0-9]"; then break 2; fi
			kill -0 "$redis_pid" 2>/dev/null || break
			sleep 0.1
		done
		stop_pid "$redis_pid"
		redis_pid=""
	done
	[ -n "$redis_pid" ] || { echo "redis4: could not start redis-server" >&2; exit 1; }
	redis="127.0.0.1:$port"
fi
echo "redis: $redis ($(redis-cli -h "${redis%:*}" -p "${redis#*:}" info server | awk -F: '/^redis_version/ { print $2 }' | tr -d '\r'))"

# portal: a fresh fake portal for each group, so that every group starts with a full bucket
# and an unused operating budget.
audit() { timeout 10 curl -sf --cacert "$tmp/fake.pem" "$audit_url"; }
portal() {
	start_fake --deals "$DEALS" --burst "$BURST"
	B24_WEBHOOK="$(field webhook)"
	audit_url="$(field audit)"
	total="$(timeout 10 curl -sf --cacert "$tmp/fake.pem" "${B24_WEBHOOK}crm.deal.list?select%5B%5D=ID&start=0" | grep -o '"total":[0-9]*' | cut -d: -f2)"
}
export B24_WEBHOOK SSL_CERT_FILE="$tmp/fake.pem"
# requests and 503s of an audit document
requests() { grep -o '"requests":[0-9]*' <<<"$1" | head -1 | cut -d: -f2; }
refused() {
	local v
	v="$(sed -n 's/.*"by_status":{\([^}]*\)}.*/\1/p' <<<"$1" | grep -o '"503":[0-9]*' | cut -d: -f2 || true)"
	echo "${v:-0}"
}
portal
grep -E '^(limits|time scale):' "$tmp/fake.log"
echo "deals: $total; $PROCS processes, select $SELECT, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# group LABEL ARGS...: one run of PROCS exports at once.
group() {
	local label="$1"
	shift
	portal
	sleep "$(awk -v b="$BURST" -v s="$SCALE" 'BEGIN { print b / (2 * s) + 0.5 }')" # the bucket drains after the count
	local before after start end pids=() i
	before="$(audit)"
	start="$(date +%s.%N)"
	for i in $(seq "$PROCS"); do
		timeout 120 "$tmp/b24" list crm.deal.list --select "$SELECT" -o "$tmp/out$i.ndjson" \
			--burst "$BURST" --time-scale "$SCALE" --quiet "$@" 2>"$tmp/err$i.log" &
		pids+=($!)
	done
	local failed=0
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { failed=1; echo "redis4: process $((i + 1)) failed:" >&2; cat "$tmp/err$((i + 1)).log" >&2; }
	done
	end="$(date +%s.%N)"
	[ "$failed" = 0 ] || exit 1
	after="$(audit)"
	for i in $(seq "$PROCS"); do
		local n u
		n="$(wc -l <"$tmp/out$i.ndjson")"
		u="$(grep -o '"ID":"[0-9]*"' "$tmp/out$i.ndjson" | sort -u | wc -l)"
		if [ "$n" != "$total" ] || [ "$u" != "$total" ]; then
			echo "redis4: out$i.ndjson holds $n rows, $u ids; want $total" >&2
			exit 1
		fi
	done
	awk -v label="$label" -v t0="$start" -v t1="$end" -v procs="$PROCS" -v rows="$total" \
		-v h="$(($(requests "$after") - $(requests "$before")))" \
		-v r503="$(($(refused "$after") - $(refused "$before")))" \
		-v x="$BURST" -v k="$SCALE" 'BEGIN {
			t = t1 - t0; y = 2 * k; one = 50 * (0.020 + 50 * 0.00005) / k
			ok = h - r503; tb = (ok > x ? ok - x : 0) / y + one
			# operating bound, P at most one full request'"'"'s time per request, L 480 s per W 600 s
			p = ok * one; l = 480 / k; w = 600 / k; top = (p > l ? (p - l) * w / l : 0)
			tmin = tb > top ? tb : top
			printf "%-14s %d × %d rows  time %6.2f s  %7.0f rows/s  requests %4d  503 %4d  T_bucket %5.2f s  T_op %5.2f s  T_min/time %3.0f %%\n",
				label, procs, rows, t, procs * rows / t, h, r503, tb, top, 100 * tmin / t
		}'
}

for run in $(seq "$RUNS"); do
	group "--redis" --redis "redis://$redis/0"
done
group "without redis"
