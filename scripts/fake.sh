# Sourced (not run) by bench/run.sh, bench/redis4.sh and conformance/run.sh: building b24 and
# running `b24 fake` as a child process. The caller sets prog (the name its messages start
# with), root (the repository), tmp (a temp dir it removes on exit) and SCALE (the fake's time
# scale), and calls stop_fake (or stop_pid "$fake_pid") in its EXIT trap. Every wait is bounded.

fake_pid=""

# stop_pid PID: TERM, then KILL after 5 s; reaps it. Nothing to do for an empty PID.
stop_pid() {
	local pid="$1"
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

stop_fake() {
	stop_pid "$fake_pid"
	fake_pid=""
}

# build_b24: the CLI as $tmp/b24.
build_b24() {
	(cd "$root" && timeout 600 go build -o "$tmp/b24" ./cmd/b24)
}

# start_fake ARGS...: stops the previous fake and starts a fresh one (time scale $SCALE, its
# certificate in $tmp/fake.pem, its output in $tmp/fake.log); returns once it has printed its
# addresses (the audit line comes last, after the certificate is written), within 30 s, or
# exits 1 with its log.
start_fake() {
	stop_fake
	rm -f "$tmp/fake.log" "$tmp/fake.pem"
	"$tmp/b24" fake --time-scale "$SCALE" --cert-file "$tmp/fake.pem" "$@" >"$tmp/fake.log" 2>&1 &
	fake_pid=$!
	for _ in $(seq 300); do # 30 s
		grep -q '^audit:' "$tmp/fake.log" 2>/dev/null && return 0
		kill -0 "$fake_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "$prog: b24 fake did not start within 30 s" >&2
	cat "$tmp/fake.log" >&2
	exit 1
}

# field NAME: a value the fake printed (webhook, audit, ...).
field() { awk -v k="$1:" '$1 == k { print $2; exit }' "$tmp/fake.log"; }
