#!/usr/bin/env bash
# Time of `members sign-out-everyone --yes` for a roster in which every member is signed in to an
# app with a back-channel logout URI (one authorization and one refresh token each), against PostgreSQL;
# then how long the service takes to post the logout tokens to an app that accepts them at once
# (a small Python server standing in for the app, on the same two cores).
# Usage: docs/benchmarks/sign-out-everyone.sh [members]   (from the repository root; default 100000)
# Starts a throwaway local PostgreSQL server with default durability settings (fsync on), as in production.
set -euo pipefail
members=${1:-100000}
source "$(dirname "$0")/common.sh"
publish_service
start_postgres_unless_configured 55433

export ASPNETCORE_ENVIRONMENT=Development DemoData__Enabled=false Protocol__Issuer=https://id.example-kenpo.or.jp/
app() { (cd "$out" && dotnet "$out/app/Kosmo.Idp.dll" "$@"); }
[ -n "$pgdata" ] || { echo "This script fills the database it is given: run it without ConnectionStrings__Kosmo (a throwaway server)."; exit 2; }
sql() { "$pgbin/psql" "postgresql://postgres@127.0.0.1:55433/postgres" -v ON_ERROR_STOP=1 -qtA -c "$1"; }

app migrate >/dev/null
app clients add bench-portal --name "Bench portal" --redirect-uri https://portal.example/signin-oidc \
  --backchannel-logout-uri http://127.0.0.1:55480/backchannel-logout >/dev/null
awk -v rows="$members" 'BEGIN { print "user_id,symbol,number,birthdate,name,joined_on,email";
  for (i = 1; i <= rows; i++) printf "M%06d,%d,%d,1980-04-%02d,組合員 %d号,2000-04-01,\n", i, 100 + i % 900, i, 1 + i % 28, i }' > "$out/roster.csv"
app members import "$out/roster.csv" >/dev/null

# What a day of sign-ins leaves: each member signed in to the portal in a session of their own.
sql "INSERT INTO \"OpenIddictAuthorizations\" (id, application_id, concurrency_token, creation_date, properties, scopes, status, subject, type)
     SELECT gen_random_uuid()::text, a.id, gen_random_uuid()::text, now(), json_build_object('kosmo_session', md5(m.user_id))::text,
            '[\"openid\",\"offline_access\"]', 'valid', m.id::text, 'ad-hoc'
     FROM members m CROSS JOIN \"OpenIddictApplications\" a WHERE a.client_id = 'bench-portal'"
sql "INSERT INTO \"OpenIddictTokens\" (id, application_id, authorization_id, concurrency_token, creation_date, expiration_date, status, subject, type)
     SELECT gen_random_uuid()::text, z.application_id, z.id, gen_random_uuid()::text, now(), now() + interval '14 days', 'valid', z.subject, 'refresh_token'
     FROM \"OpenIddictAuthorizations\" z"
sql "ANALYZE"

echo "$members members, each with one authorization and one refresh token at an app with a logout URI, $(nproc) cores"
start=$(date +%s%N)
app members sign-out-everyone --yes --reason benchmark > "$out/sign-out.log" 2>&1
end=$(date +%s%N)
printf 'sign-out-everyone: %d ms\n' $(( (end - start) / 1000000 ))
grep -E "signed out|revoked|queued" "$out/sign-out.log" | sed 's/^/  /'
printf '  logout_notices rows: %s\n' "$(sql "SELECT count(*) FROM logout_notices")"

# The app: answers 204 to every post, many at a time.
cat > "$out/sink.py" <<'PY'
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", 55480), Sink).serve_forever()
PY
# (common.sh's exit trap stops the service; the sink stops itself at the latest after 30 minutes.)
timeout 1800 python3 "$out/sink.py" & sink=$!
# Run from the publish folder, as the image does: appsettings*.json are read from there.
env --chdir="$out/app" ASPNETCORE_URLS=http://127.0.0.1:55481 BackchannelLogout__PollInterval=00:00:01 \
  dotnet Kosmo.Idp.dll >"$out/service.log" 2>&1 &
pid=$!
start=$(date +%s%N)
until [ "$(sql "SELECT count(*) FROM logout_notices")" = 0 ]; do
  sleep 0.5
  kill -0 "$pid" 2>/dev/null || { tail "$out/service.log"; kill "$sink"; exit 1; }
done
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
printf 'logout tokens posted by the service (from its start): %d ms, %d per second\n' "$ms" $(( members * 1000 / ms ))
kill "$sink"
