#!/usr/bin/env bash
# Retakes the member guide's pictures (docs/member-guide/<set>/<page>.png) with the browser tests,
# then keeps only the ones docs/member-guide.md shows. Commit the result with the page change.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rm -rf "$root/docs/member-guide"
(cd "$root/Kosmo.Idp.Tests" && KOSMO_GUIDE_PICTURES=1 dotnet test --filter Category=Browser)
cd "$root/docs"
grep -o 'member-guide/[^)]*\.png' member-guide.md | sort -u > /tmp/kosmo-guide-shown.txt
find member-guide -name '*.png' | sort | comm -23 - /tmp/kosmo-guide-shown.txt | xargs -r rm --
find member-guide -type d -empty -delete
echo "Pictures kept: $(find member-guide -name '*.png' | wc -l)"
