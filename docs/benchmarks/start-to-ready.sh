#!/usr/bin/env bash
# Start-to-ready and idle memory of the published service.
# Usage: docs/benchmarks/start-to-ready.sh [runs]   (from the repository root)
# Development: ConnectionStrings__Kosmo when set (PostgreSQL), else a fresh SQLite file per run, or
# with KEEP_DATABASE=1 one SQLite file for all runs (the first run creates it: the restart case).
# IMAGE=1: as the container runs it: Production, PostgreSQL (a throwaway server unless
# ConnectionStrings__Kosmo is set) migrated once by the `migrate` command, the Dockerfile's
# workstation GC, a Data Protection certificate.
# SETTLED=<seconds after ready> (default 90, 0 to skip): a second reading once the background
# rounds have each run (logout notices every 15 s, the key refresh every minute): the idle figure
# of a process that has been up a while. The first reading, 5 s after ready, comes before them.
set -euo pipefail
runs=${1:-5}
source "$(dirname "$0")/common.sh"
publish_service
port=5399
settings=(ASPNETCORE_ENVIRONMENT=Development Database__SqlitePath="$out/kosmo.db" DemoData__Enabled=false)
if [ "${IMAGE:-0}" = 1 ]; then
  start_postgres_unless_configured 5498
  make_data_protection_certificate
  settings=(ASPNETCORE_ENVIRONMENT=Production DOTNET_gcServer=0 ConnectionStrings__Kosmo="$ConnectionStrings__Kosmo"
    Database__MigrateOnStart=false Protocol__Issuer=https://id.kosmo.example/ Mail__SendGrid__ApiKey=SG.benchmark
    DataProtection__CertificatePath="$out/dp.pfx" DataProtection__CertificatePassword=benchmark)
  env --chdir="$out/app" "${settings[@]}" dotnet Kosmo.Idp.dll migrate >/dev/null
fi
for i in $(seq 1 "$runs"); do
  [ "${KEEP_DATABASE:-0}" = 1 ] || rm -f "$out/kosmo.db" "$out/kosmo.db-wal" "$out/kosmo.db-shm"
  start=$(date +%s%N)
  # Run from the publish folder, as the image does: appsettings*.json and Content/ are read from there.
  env --chdir="$out/app" "${settings[@]}" ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet Kosmo.Idp.dll >"$out/log" 2>&1 &
  pid=$!
  wait_until_ready "$port" "$out/log" 0.01
  ready=$(date +%s%N)
  sleep 5
  # RSS = anonymous (heaps, JIT code) + shared memory (with W^X, .NET maps JIT code through a
  # memfd) + file-backed (the mapped runtime, framework and app DLLs: clean, shared between
  # processes mapping the same files, and re-readable under memory pressure).
  read -r rss anon shmem file < <(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssShmem/ {s=$2} /^RssFile/ {f=$2}
    END {print r, a, s, f}' /proc/$pid/status)
  printf 'run %d: start to ready %d ms, idle after 5 s: RSS %d MB = anonymous %d + shared %d + file-backed %d MB\n' \
    "$i" $(( (ready - start) / 1000000 )) $(( rss / 1024 )) $(( anon / 1024 )) $(( shmem / 1024 )) $(( file / 1024 ))
  settled=${SETTLED:-90}
  if [ "$settled" -gt 5 ]; then
    sleep $(( settled - 5 ))
    read -r rss anon shmem file < <(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} /^RssShmem/ {s=$2} /^RssFile/ {f=$2}
      END {print r, a, s, f}' /proc/$pid/status)
    printf '       settled after %d s: RSS %d MB = anonymous %d + shared %d + file-backed %d MB\n' \
      "$settled" $(( rss / 1024 )) $(( anon / 1024 )) $(( shmem / 1024 )) $(( file / 1024 ))
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
