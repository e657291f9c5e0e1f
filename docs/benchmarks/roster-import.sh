#!/usr/bin/env bash
# Time of `members import` for a generated roster, against PostgreSQL.
# Usage: docs/benchmarks/roster-import.sh [rows] [new-members]   (from the repository root)
#   rows         lines in the roster (default 100000)
#   new-members  how many of them joined on or after Roster:RulePasswordJoinedBefore and so get a
#                random, Argon2id-hashed password (default 1000); the others get the rule password.
# Uses ConnectionStrings__Kosmo when set (an empty database), else starts a throwaway local
# PostgreSQL server with default durability settings (fsync on), as in production.
set -euo pipefail
rows=${1:-100000}
new=${2:-1000}
[ -x /usr/bin/time ] || { echo "needs GNU time for the peak memory: apt-get install time" >&2; exit 1; }
source "$(dirname "$0")/common.sh"
publish_service
start_postgres_unless_configured 55432

# user_id,symbol,number,birthdate,name,joined_on,email; the last $new lines joined after the cut-off.
awk -v rows="$rows" -v new="$new" 'BEGIN {
  srand(42); print "user_id,symbol,number,birthdate,name,joined_on,email";
  for (i = 1; i <= rows; i++) {
    joined = (i > rows - new) ? "2026-04-01" : sprintf("%d-04-01", 1990 + i % 35);
    email = (i % 2) ? sprintf("member%06d@example.jp", i) : "";
    printf "M%06d,%d,%d,%d-%02d-%02d,組合員 %d号,%s,%s\n", i, 100 + i % 900, i, 1940 + i % 50, 1 + i % 12, 1 + i % 28, i, joined, email
  } }' > "$out/roster.csv"

# The same members, every name changed: a re-run where each line is an update.
sed '2,$ s/号,/号（改）,/' "$out/roster.csv" > "$out/renamed.csv"

# The image runs workstation GC (Dockerfile): so does the import an operator runs in a pod.
export ASPNETCORE_ENVIRONMENT=Development DemoData__Enabled=false DOTNET_gcServer=0
app() { (cd "$out" && dotnet "$out/app/Kosmo.Idp.dll" "$@"); }
app migrate >/dev/null

run() {
  local label=$1 file=$2
  local start end code
  start=$(date +%s%N)
  # Peak resident memory of the import process (GNU time's %M, in KB): it shares a pod with the service.
  set +e; /usr/bin/time -f '%M' -o "$out/$label.rss" bash -c 'cd "$1" && shift && exec dotnet "$@"' _ "$out" "$out/app/Kosmo.Idp.dll" \
    members import "$out/$file" --notices "$out/notice-$label.csv" >"$out/$label.log" 2>&1; code=$?; set -e
  end=$(date +%s%N)
  printf '%-12s %6d ms  peak RSS %4d MB  exit %d  %s\n' "$label" $(( (end - start) / 1000000 )) $(( $(tail -1 "$out/$label.rss") / 1024 )) \
    "$code" "$(grep -E '^(created|Would)' "$out/$label.log" | tail -1)"
}
echo "$rows rows, $new with random passwords, $(nproc) cores"
run first-load roster.csv
run unchanged roster.csv
run renamed renamed.csv
# BASELINE=1: also the peak of a command that loads no roster, for comparison.
[ -z "${BASELINE:-}" ] || /usr/bin/time -f "keys list: peak RSS %M KB" bash -c 'cd "$1" && exec dotnet "$1/app/Kosmo.Idp.dll" keys list' _ "$out" >/dev/null
