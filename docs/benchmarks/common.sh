# Shared by the benchmark scripts (sourced, not run): a scratch folder, the service published as
# the Dockerfile publishes it, and a throwaway PostgreSQL unless ConnectionStrings__Kosmo is set.
# Everything started here is stopped, and the folder deleted, when the script exits.

out=$(mktemp -d)
chmod 755 "$out"
pid="" pgdata=""
# Under set -e a failing command ends the trap too: the service may be gone already, so nothing here may fail.
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
      if [ -n "$pgdata" ]; then $as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null || true; fi
      rm -rf "$out"' EXIT

# The Dockerfile's publish (Release, linux-x64, ReadyToRun) into $out/app.
publish_service() {
  dotnet publish Kosmo.Idp/Kosmo.Idp.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/app" >/dev/null
}

# A PostgreSQL server of the machine's binaries on port $1, default durability (fsync on), as in
# production; initdb refuses root, so as root it runs as the postgres user.
start_postgres_unless_configured() {
  [ -n "${ConnectionStrings__Kosmo:-}" ] && return
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  pgbin=${pgbin:-$(dirname "$(command -v initdb)")}
  as_pg=""; [ "$(id -u)" = 0 ] && as_pg="runuser -u postgres --"
  pgdata="$out/pgdata"
  mkdir -m 700 "$pgdata"; [ -n "$as_pg" ] && chown postgres "$pgdata"
  $as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  $as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -o "-p $1 -k $pgdata -c listen_addresses=127.0.0.1" start >/dev/null
  export ConnectionStrings__Kosmo="Host=127.0.0.1;Port=$1;Username=postgres;Database=postgres"
}

# Polls /health/ready on port $1 every $3 seconds (default 0.05) until the service started as
# $pid answers; if it stops first, prints its log ($2) and fails.
wait_until_ready() {
  until curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "the service stopped:"; cat "$2"; exit 1; }
    sleep "${3:-0.05}"
  done
}

# A throwaway Data Protection certificate, $out/dp.pfx with password "benchmark", which Production requires.
make_data_protection_certificate() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$out/dp.key" -out "$out/dp.crt" -days 2 -subj "/CN=kosmo-benchmark" 2>/dev/null
  openssl pkcs12 -export -inkey "$out/dp.key" -in "$out/dp.crt" -out "$out/dp.pfx" -passout pass:benchmark
}
