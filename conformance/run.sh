#!/usr/bin/env bash
# Runs the official Bitrix24 JS SDK against `b24 fake` (README.md beside this file).
# Builds b24 into a temp dir, starts the fake portal with a fixed seed, installs the pinned
# SDK with `npm ci` when node_modules is missing or stale, runs conformance.mjs and stops the
# fake. Every wait is bounded. The last line printed is the script's "N passed, M failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

SEED=24
DEALS=600
SCALE=10 # the fake drains 20 req/s: the JS SDK's default limiter (50, 2/s) is never refused

for tool in go node npm; do
	if ! command -v "$tool" >/dev/null; then
		echo "conformance: $tool is not installed" >&2
		exit 1
	fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/b24-conformance.XXXXXX")"
prog=conformance
. "$root/scripts/fake.sh"
cleanup() {
	stop_fake
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== conformance: building b24"
build_b24

echo "== conformance: starting b24 fake (seed $SEED, $DEALS deals, time scale $SCALE)"
start_fake --seed "$SEED" --deals "$DEALS"
url="$(field webhook)"
grep -E '^(limits|time scale):' "$tmp/fake.log" || true

# npm ci only when node_modules is missing or was installed from another lockfile.
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
stamp="$here/node_modules/.b24-lock-sha256"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
	echo "== conformance: npm ci"
	(cd "$here" && timeout 600 npm ci --no-audit --no-fund --loglevel=error)
	echo "$lock_sum" >"$stamp"
fi

echo "== conformance: the JS SDK against the fake"
status=0
(
	cd "$here"
	B24_WEBHOOK_URL="$url" B24_EXPECT_DEALS="$DEALS" NODE_EXTRA_CA_CERTS="$tmp/fake.pem" \
		timeout 180 node conformance.mjs
) || status=$?
if [ "$status" -ne 0 ]; then
	echo "conformance: failed (exit $status); the fake's log:" >&2
	cat "$tmp/fake.log" >&2
fi
exit "$status"
