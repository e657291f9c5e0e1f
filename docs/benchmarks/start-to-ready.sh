#!/usr/bin/env bash
# Start-to-ready and idle memory of the published service.
# Usage: docs/benchmarks/start-to-ready.sh [runs]   (from the repository root)
# Uses ConnectionStrings__Kosmo when set (PostgreSQL), else a fresh SQLite file per run.
set -euo pipefail
runs=${1:-5}
out=$(mktemp -d)
dotnet publish Kosmo.Idp/Kosmo.Idp.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/app" >/dev/null
port=5399
for i in $(seq 1 "$runs"); do
  rm -f "$out/kosmo.db"
  start=$(date +%s%N)
  # Run from the publish folder, as the image does: appsettings*.json and Content/ are read from there.
  env --chdir="$out/app" ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS="http://127.0.0.1:$port" \
    Database__SqlitePath="$out/kosmo.db" DemoData__Enabled=false \
    dotnet Kosmo.Idp.dll >"$out/log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { echo "the service stopped:"; cat "$out/log"; exit 1; }
    sleep 0.01
  done
  ready=$(date +%s%N)
  sleep 5
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
  # RSS counts the mapped DLLs' clean pages (shared, and reclaimable under memory pressure) as well
  # as the process's own dirty memory (heaps, JIT code): both are printed.
  file=$(awk '/^RssFile/ {print $2}' /proc/$pid/status)
  dirty=$(awk '/^Private_Dirty/ {print $2}' /proc/$pid/smaps_rollup)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf 'run %d: start to ready %d ms, idle after 5 s: RSS %d MB (private dirty %d MB, file-backed %d MB)\n' \
    "$i" $(( (ready - start) / 1000000 )) $(( rss / 1024 )) $(( dirty / 1024 )) $(( file / 1024 ))
done
rm -rf "$out"
