#!/usr/bin/env bash
# The Dockerfile's steps without Docker (no image can be pulled on CI machines here): from a clean
# copy of the repository in a temp dir, install, build (`npm run build`), prune the dev
# dependencies, lay out the release exactly as the image's final stage copies it (compiled output,
# no TypeScript sources, no swc hook in use), run `loyalty-hub migrate` and start the compiled hub
# against SQLite as the non-root image would, and check /readyz answers 200.
#   bash scripts/build-image-steps.sh            # check, then delete the temp dir
#   bash scripts/build-image-steps.sh --out DIR  # also keep the release in DIR (a systemd install)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=""
[ "${1:-}" = "--out" ] && OUT=${2:?--out needs a directory}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-image.XXXXXX")
HUB_PID=""
cleanup() { [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
t0=$(date +%s)
step() { echo "== [$(($(date +%s) - t0)) s] $*"; }

step "build stage: a clean copy of the sources (tracked and new files, nothing ignored)"
mkdir -p "$WORK/build"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
  (cd "$ROOT" && xargs -0 cp -a --parents -t "$WORK/build")

step "npm install (the Dockerfile runs it against the registry; here the same lockfile's tree is linked, no network)"
# deps.md: `npm ci` cannot run on this registry mirror (missing other-platform binaries), so the image uses `npm install`.
# Hard links (same file system) instead of a 700 MB copy; prune only unlinks, and npm's own
# bookkeeping file is removed first so its rewrite cannot reach the repository's copy.
mapfile -d '' NM < <(cd "$ROOT" && find . -name node_modules -type d -prune -not -path './node_modules/*' -print0)
(cd "$ROOT" && cp -al --parents "${NM[@]}" "$WORK/build/" 2>/dev/null) || (cd "$ROOT" && cp -a --parents "${NM[@]}" "$WORK/build/")
find "$WORK/build" -name .package-lock.json -path '*/node_modules/*' -delete
rm -rf "$WORK/build/node_modules/.cache" "$WORK/build/node_modules/.vite"

step "npm run build (SDK, connectors, hub to JavaScript; the admin console)"
(cd "$WORK/build" && npm run build --silent)

step "npm prune --omit=dev"
(cd "$WORK/build" && npm prune --omit=dev --offline --no-audit --no-fund --silent)

step "final stage: compiled output and production dependencies only"
REL="$WORK/release"
mkdir -p "$REL"
# A workspace keeps the versions it does not share with the others in its own node_modules.
(cd "$WORK/build" && mkdir -p hub/node_modules connectors/{sdk,webhooks,rkeeper,acme-crm}/node_modules)
(cd "$WORK/build" && cp -a --parents package.json node_modules hub/package.json hub/node_modules hub/bin hub/dist admin/package.json admin/dist "$REL/")
for c in sdk webhooks rkeeper acme-crm; do (cd "$WORK/build" && cp -a --parents "connectors/$c/package.json" "connectors/$c/node_modules" "connectors/$c/dist" "$REL/"); done
# Workspace links of packages the release does not ship (tests, the agent, fixtures) are dropped.
for l in "$REL"/node_modules/@loyalty/*; do [ -e "$l" ] || rm -f "$l"; done
left=$(cd "$REL" && find . -path ./node_modules -prune -o \( -name '*.ts' -not -name '*.d.ts' \) -print | head -5)
[ -z "$left" ] || { echo "TypeScript sources in the release: $left"; exit 1; }
[ ! -e "$REL/hub/src" ] || { echo "hub/src in the release"; exit 1; }

step "loyalty-hub migrate, then start the compiled hub (NODE_ENV=production, SQLite) and ask /readyz"
PORT=$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')
DATA="$WORK/data"
export NODE_ENV=production HUB_SECRET=image-steps-secret-0123456789abcdef SMS_CONSOLE_ALLOWED=true \
  METRICS_TOKEN=image-steps-metrics-token-0123456789 DATA_DIR="$DATA" PORT="$PORT" HOST=127.0.0.1 LOG_LEVEL=warn
(cd "$REL" && node hub/bin/hub.js migrate)
(cd "$REL" && exec node hub/bin/hub.js) > "$WORK/hub.log" 2>&1 &
HUB_PID=$!
for _ in $(seq 1 150); do
  code=$(node -e "fetch('http://127.0.0.1:$PORT/readyz').then(r=>console.log(r.status),()=>console.log(0))")
  [ "$code" = 200 ] && break
  kill -0 "$HUB_PID" 2>/dev/null || { cat "$WORK/hub.log"; echo "the compiled hub exited"; exit 1; }
  sleep 0.2
done
[ "$code" = 200 ] || { cat "$WORK/hub.log"; echo "/readyz answered $code"; exit 1; }
# The compiled hub must not have loaded the swc hook or any .ts file.
hook=$(node -e "console.log(require('fs').readFileSync('/proc/$HUB_PID/maps','utf8').includes('swc') ? 'swc loaded' : '')")
[ -z "$hook" ] || { echo "the release hub loaded swc"; exit 1; }
kill -TERM "$HUB_PID"; wait "$HUB_PID"; HUB_PID=""
if [ -n "$OUT" ]; then mkdir -p "$OUT" && cp -a "$REL/." "$OUT/" && echo "release kept in $OUT"; fi
step "ok: /readyz 200 from the compiled release ($(du -sh "$REL" | cut -f1))"
