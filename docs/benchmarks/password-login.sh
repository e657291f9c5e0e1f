#!/usr/bin/env bash
# What a password login costs beyond its one Argon2id hash.
# Usage: docs/benchmarks/password-login.sh [logins]   (from the repository root; default 300)
# Needs curl, openssl and python3 (for the hash alone, through the libsodium the service ships).
# Uses ConnectionStrings__Kosmo when set (an empty database), else starts a throwaway local
# PostgreSQL server with default durability settings, as roster-import.sh does.
# Imports one member who joined after Roster:RulePasswordJoinedBefore (so the password is random and
# stored as an Argon2id hash), then logs in `logins` times one after the other, each time as a new
# browser would: GET /login for the antiforgery cookie and token, then the timed POST /login (a 302
# into the journey). The first 20 are left out of the figures (warm-up). Then the same libsodium
# verifies the same kind of hash `logins` times on its own. Last, `logins` wrong passwords (spread
# over other imported members) interleaved with as many unknown user IDs: both must cost one hash.
set -euo pipefail
logins=${1:-300}
for tool in curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done

source "$(dirname "$0")/common.sh"
publish_service
start_postgres_unless_configured 55435

make_data_protection_certificate

port=5396
# The login rate limit (30 posts a minute per address) is raised: every post here comes from 127.0.0.1.
export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_HTTP_PORTS=$port DOTNET_gcServer=0 \
  Database__MigrateOnStart=false Protocol__Issuer=https://id.kosmo.test/ \
  DataProtection__CertificatePath="$out/dp.pfx" DataProtection__CertificatePassword=benchmark \
  Mail__SendGrid__ApiKey=SG.benchmark-unused Proxy__TrustedNetworks__0=127.0.0.1/32 Shutdown__DrainDelay=00:00:01 \
  RateLimits__LoginPostsPerMinutePerAddress=1000000
app() { (cd "$out/app" && dotnet Kosmo.Idp.dll "$@"); }
app migrate >/dev/null
# B000001 logs in; the others only take wrong passwords, three each at most, so that no lockout
# (which refuses without hashing) blurs the comparison with unknown user IDs below.
members=$(( logins / 3 + 2 ))
{ echo 'user_id,symbol,number,birthdate,name,joined_on,email'
  for i in $(seq 1 "$members"); do printf 'B%06d,101,%d,1980-01-02,ベンチ 太郎,2026-04-01,\n' "$i" "$i"; done
} >"$out/roster.csv"
app members import "$out/roster.csv" --notices "$out/notices.csv" >/dev/null
password=$(grep '^B000001,' "$out/notices.csv" | awk -F, '{print $5}' | tr -d '\r')

(cd "$out/app" && exec dotnet Kosmo.Idp.dll) >"$out/service.log" 2>&1 &
pid=$!
wait_until_ready "$port" "$out/service.log"

echo "$(nproc) cores; $logins logins; $(uptime | sed 's/.*load/load/')"
# One login as a new browser: GET /login for the antiforgery cookie and token, then the timed POST.
login() {
  rm -f "$out/jar"
  token=$(curl -s -c "$out/jar" -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$port/login" \
    | grep -o 'name="__RequestVerificationToken" type="hidden" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -b "$out/jar" -H 'X-Forwarded-Proto: https' -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$port/login" \
    --data-urlencode UserId="$1" --data-urlencode Password="$2" --data-urlencode __RequestVerificationToken="$token"
}
figures() { sort -n | awk -v what="$1" '{a[NR] = $1; s += $1} END {
  printf "%s: n=%d mean %.1f ms, p50 %.1f, p90 %.1f, p99 %.1f\n", what, NR, s / NR, a[int(NR * .5)], a[int(NR * .9)], a[int(NR * .99)] }'; }

for _ in $(seq 1 "$logins"); do login B000001 "$password"; done >"$out/times"
awk '{print $1}' "$out/times" | sort | uniq -c | awk '{printf "status %s: %d\n", $2, $1}'
tail -n +21 "$out/times" | awk '{print $2 * 1000}' | figures "POST /login"

# A wrong password for a member and any password for a user ID that does not exist must cost the
# same (no account enumeration by timing): interleaved, so both see the same machine.
for i in $(seq 1 "$logins"); do
  printf 'wrong-password %s\n' "$(login "$(printf 'B%06d' $(( i % (members - 1) + 2 )))" wrong-password-1)"
  printf 'unknown-user-id %s\n' "$(login "NOBODY$i" wrong-password-1)"
done >"$out/wrong"
awk '{print $1, $2}' "$out/wrong" | sort | uniq -c | awk '{printf "%s status %s: %d\n", $2, $3, $1}'
grep '^wrong-password ' "$out/wrong" | tail -n +21 | awk '{print $3 * 1000}' | figures "POST /login, wrong password"
grep '^unknown-user-id ' "$out/wrong" | tail -n +21 | awk '{print $3 * 1000}' | figures "POST /login, unknown user ID"

lib=$(find "$out/app" -name libsodium.so | head -1)
python3 - "$lib" "$logins" <<'EOF' | figures "Argon2id verification alone"
import ctypes, sys, time
sodium = ctypes.CDLL(sys.argv[1])
assert sodium.sodium_init() >= 0
# The service's defaults: 2 passes, 19 MiB (PasswordHashing:Iterations, PasswordHashing:MemoryBytes).
encoded, password = ctypes.create_string_buffer(128), b"benchmark-password-1"
assert sodium.crypto_pwhash_str(encoded, password, ctypes.c_ulonglong(len(password)), ctypes.c_ulonglong(2), ctypes.c_size_t(19922944)) == 0
for i in range(int(sys.argv[2])):
    start = time.perf_counter()
    assert sodium.crypto_pwhash_str_verify(encoded.value, password, ctypes.c_ulonglong(len(password))) == 0
    if i >= 20:
        print((time.perf_counter() - start) * 1000)
EOF
