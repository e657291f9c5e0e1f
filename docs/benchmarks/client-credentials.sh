#!/usr/bin/env bash
# Client-credentials token throughput of the published service, load generator on the same machine.
# Usage: docs/benchmarks/client-credentials.sh [seconds] [connections...]   (from the repository root)
#   seconds      length of each measured run (default 25)
#   connections  wrk connection counts, one run each (default 8 32 64)
# Needs wrk (Debian/Ubuntu: apt-get install -y wrk), curl, jq and openssl.
# Uses ConnectionStrings__Kosmo when set (an empty database), else starts a throwaway local
# PostgreSQL server with default durability settings, as roster-import.sh does.
# The service runs as the image runs it (Production, workstation GC, JSON request log on stdout,
# here into a file), behind a "proxy" on 127.0.0.1: wrk sends X-Forwarded-Proto: https, as the
# ingress does, so Protocol:RequireHttps stays on.
set -euo pipefail
seconds=${1:-25}
shift || true
if [ $# -gt 0 ]; then connections=("$@"); else connections=(8 32 64); fi
for tool in wrk curl jq openssl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian/Ubuntu: apt-get install -y $tool)" >&2; exit 1; }
done

source "$(dirname "$0")/common.sh"
publish_service
start_postgres_unless_configured 55433

# Throwaway Data Protection certificate and client secret, made for this run and deleted with $out.
make_data_protection_certificate
secret=$(openssl rand -base64 32 | tr -d '=+/\n')

port=5398
export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_HTTP_PORTS=$port DOTNET_gcServer=0 \
  Database__MigrateOnStart=false \
  Protocol__Issuer=https://id.kosmo.test/ \
  DataProtection__CertificatePath="$out/dp.pfx" DataProtection__CertificatePassword=benchmark \
  Mail__SendGrid__ApiKey=SG.benchmark-unused \
  Proxy__TrustedNetworks__0=127.0.0.1/32 Shutdown__DrainDelay=00:00:01 \
  RelyingApps__Apps__0__ClientId=benchmark-service \
  RelyingApps__Apps__0__DisplayName="Benchmark service" \
  RelyingApps__Apps__0__ClientSecret="$secret" \
  RelyingApps__Apps__0__AllowClientCredentials=true
app() { (cd "$out/app" && dotnet Kosmo.Idp.dll "$@"); }
app migrate >/dev/null

(cd "$out/app" && exec dotnet Kosmo.Idp.dll) >"$out/service.log" 2>&1 &
pid=$!
wait_until_ready "$port" "$out/service.log"

# One token by hand: a 200 with a signed JWT whose claims name the issuer and the client.
token=$(curl -sf -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port/connect/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode client_id=benchmark-service \
  --data-urlencode client_secret="$secret")
jq -e '.token_type == "Bearer" and (.access_token | split(".") | length == 3)' <<<"$token" >/dev/null \
  || { echo "not a token response: $token"; exit 1; }
part() {   # base64url-decoded part $1 of the JWT
  local p; p=$(jq -r ".access_token | split(\".\")[$1]" <<<"$token" | tr '_-' '/+')
  while [ $(( ${#p} % 4 )) -ne 0 ]; do p+="="; done
  base64 -d <<<"$p"
}
echo "token check: header $(part 0 | jq -c '{alg, typ}'), claims $(part 1 | jq -c '{iss, sub, exp, iat}')"
part 0 | jq -e '.alg == "RS256" and .typ == "at+jwt"' >/dev/null || { echo "not an RS256 at+jwt"; exit 1; }
part 1 | jq -e '.sub == "benchmark-service" and .iss == "https://id.kosmo.test/"' >/dev/null \
  || { echo "the token does not name the client and the issuer"; exit 1; }
# A wrong secret must be refused, or the figures would measure nothing.
wrong=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port/connect/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode client_id=benchmark-service --data-urlencode client_secret="x$secret")
echo "wrong secret answers $wrong"
[ "$wrong" = 401 ] || { echo "a wrong secret was not refused"; exit 1; }

# client_secret_post; the body is built once, as a real service would send the same request each time.
cat >"$out/token.lua" <<EOF
wrk.method = "POST"
wrk.path = "/connect/token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Forwarded-Proto"] = "https"
wrk.body = "grant_type=client_credentials&client_id=benchmark-service&client_secret=$secret"
EOF

cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }   # utime + stime, clock ticks
pgcpu() {   # the throwaway PostgreSQL server and its backends; 0 with ConnectionStrings__Kosmo
  [ -n "${pgdata:-}" ] || { echo 0; return; }
  local main sum=0 p; main=$(head -1 "$pgdata/postmaster.pid")
  for p in "$main" $(pgrep -P "$main"); do sum=$((sum + $(cpu "$p"))); done
  echo "$sum"
}
busy() {   # percent of all cores in use over one second, by anything
  local a b; a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local total=0 i; for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(( 100 - 100 * (b[4] - a[4]) / total ))
}
hz=$(getconf CLK_TCK)
echo "$(nproc) cores; $(busy)% busy before the warm-up (other work on the machine lowers the figures; rerun when near 0)"
# 20 s: enough for tiered compilation to replace the ReadyToRun code on the hot path.
echo "warm-up 20 s at 32 connections"
wrk -t2 -c32 -d20s -s "$out/token.lua" "http://127.0.0.1:$port" >/dev/null
for c in "${connections[@]}"; do
  echo
  echo "== $c connections, $seconds s; $(uptime | sed 's/.*load/load/')"
  before=$(cpu "$pid"); pgbefore=$(pgcpu)
  wrk -t2 -c"$c" -d"${seconds}s" --latency -s "$out/token.lua" "http://127.0.0.1:$port" | tee "$out/wrk-$c.txt"
  after=$(cpu "$pid"); pgafter=$(pgcpu)
  requests=$(awk '/requests in/ {print $1}' "$out/wrk-$c.txt")
  grep -q 'Non-2xx' "$out/wrk-$c.txt" && echo "!! some answers were not 2xx"
  awk -v t=$((after - before)) -v p=$((pgafter - pgbefore)) -v hz="$hz" -v n="$requests" \
    'BEGIN { printf "CPU per token: service %.2f ms, PostgreSQL %.2f ms\n", 1000 * t / hz / n, 1000 * p / hz / n }'
done
echo
echo "service RSS after the runs: $(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024 )) MB; token requests in the request log: $(grep -c '"RequestPath":"/connect/token"' "$out/service.log")"
