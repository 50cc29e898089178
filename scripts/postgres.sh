# Sourced by scripts/test: a throw-away PostgreSQL cluster for dbsync's tests.
# Installs the Debian packages when initdb is missing, runs initdb and the server as an
# unprivileged user (initdb refuses root) in a temporary directory, listening on 127.0.0.1
# on a free port only, and exports B24_TEST_POSTGRES as a URL. stop_postgres stops it and
# removes the directory (the caller's EXIT trap runs it).
pg_bin=""
find_pg_bin() {
  for d in /usr/lib/postgresql/*/bin /usr/local/bin /usr/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then pg_bin="$d"; return 0; fi
  done
  return 1
}
if ! find_pg_bin; then
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  find_pg_bin
fi
pg_dir="$(mktemp -d)"
pg_as=()
if [ "$(id -u)" = 0 ]; then
  pg_user=postgres
  id "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home "$pg_user"
  chown "$pg_user" "$pg_dir"
  pg_as=(setpriv --reuid="$pg_user" --regid="$(id -g "$pg_user")" --clear-groups --)
fi
pg_port=""
stop_postgres() {
  if [ -n "$pg_port" ]; then "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$pg_dir"
}
"${pg_as[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U b24 --auth=trust -E UTF8 >/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 30000))
  if "${pg_as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off" start >/dev/null 2>&1; then
    pg_port=$port
    break
  fi
done
if [ -z "$pg_port" ]; then echo "could not start PostgreSQL" >&2; cat "$pg_dir/log" >&2 || true; exit 1; fi
export B24_TEST_POSTGRES="postgres://b24@127.0.0.1:$pg_port/postgres?sslmode=disable"
echo "PostgreSQL ($pg_bin) on $B24_TEST_POSTGRES"
