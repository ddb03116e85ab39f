#!/usr/bin/env bash
# The production install, as docs/deploy.md and the README tell an operator to do it, in a
# temporary copy of the repository (the tracked and untracked files, no dist/):
#
#   1. a fresh tree: `npm run evaluate` compiles dist/ first, then evaluates;
#   2. `npm run build && npm prune --omit=dev`: TypeScript and tsx are gone;
#   3. `npm start` serves without compiling, as fast as plain node does;
#   4. `npm run train`, `npm run evaluate` and `npm run update` (after a feedback) run from dist/;
#   5. a source newer than dist/ with no TypeScript to compile it: `npm start` refuses, saying why.
#
# node_modules is copied from the repository's (which `npm ci` made, in CI just before) rather than
# installed again: the same packages, without a second compile of better-sqlite3. A copy, not hard
# links: npm prune rewrites node_modules/.package-lock.json in place, which would change the
# repository's (and any tree linked to it).
#
# Usage: bash test/install/run.sh   (from anywhere; needs the repository's node_modules)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill -TERM -- "-$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
passes=0
pass() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "not ok - $1"; failures=$((failures + 1)); }

app="$work/app"
mkdir -p "$app"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$app"
cp -a "$root/node_modules" "$app/node_modules"
cd "$app"
[ ! -e dist ] || { echo "the copy has a dist/ already" >&2; exit 1; }

# 1. A fresh tree compiles before the first command.
out=$(npm run --silent evaluate -- --data test/fixtures/mini-imdb --split test 2>&1)
if grep -q 'building dist/' <<<"$out" && tail -n 1 <<<"$out" | grep -Eq '^accuracy=[0-9.]+ n=40'; then
  pass "fresh tree: npm run evaluate builds dist/, then prints $(tail -n 1 <<<"$out" | cut -d' ' -f1-2)"
else
  fail "fresh tree: npm run evaluate: $out"
fi

# 2. The production install.
npm run --silent build
npm prune --omit=dev --no-audit --no-fund >/dev/null
if [ ! -e node_modules/typescript ] && [ ! -e node_modules/tsx ] && [ ! -e node_modules/vitest ]; then
  pass "npm prune --omit=dev removed typescript, tsx and vitest"
else
  fail "npm prune --omit=dev left dev dependencies in node_modules"
fi

# 3. npm start on the built tree: no compile (dist/ untouched), and its first page about when
# plain `node dist/src/main.js` serves one (npm and the staleness check add a few hundred ms on an
# idle machine; the issue's yardstick is 2 s there; the bound below leaves room for a busy one).
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
start_log="$work/start.log"

# Starts a command in its own process group on $port; sets server_pid and first_page_ms (empty
# when it never served).
serve() {
  local started
  started=$(date +%s%N)
  setsid env PORT="$port" LOG_LEVEL=warn RATE_LIMIT=off "$@" >"$start_log" 2>&1 &
  server_pid=$!
  first_page_ms=
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then first_page_ms=$((($(date +%s%N) - started) / 1000000)); return; fi
    kill -0 "$server_pid" 2>/dev/null || return
    sleep 0.05
  done
}
stop_server() {
  kill -TERM -- "-$server_pid"
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  server_pid=
}

serve node dist/src/main.js
plain_ms=$first_page_ms
stop_server
built_at=$(stat -c %Y.%N dist/src/main.js)
serve npm start
if [ -z "$first_page_ms" ] || [ -z "$plain_ms" ]; then
  fail "npm start did not serve: $(cat "$start_log")"
elif grep -q 'building dist/' "$start_log" || [ "$(stat -c %Y.%N dist/src/main.js)" != "$built_at" ]; then
  fail "npm start compiled a built tree"
elif [ "$first_page_ms" -gt $((plain_ms * 2 + 2000)) ]; then
  fail "npm start served its first page after $first_page_ms ms, plain node after $plain_ms ms"
else
  pass "npm start served its first page after $first_page_ms ms without compiling (plain node: $plain_ms ms)"
fi

# A feedback for `npm run update` to fold.
prediction=$(curl -sf -H 'content-type: application/json' \
  -d '{"review":"A warm, funny and moving film; the cast is wonderful and the script sparkles."}' \
  "http://127.0.0.1:$port/api/v1/predict")
prediction_id=$(node -e 'console.log(JSON.parse(process.argv[1]).predictionId)' "$prediction")
feedback=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d "{\"predictionId\":\"$prediction_id\",\"correct\":false}" "http://127.0.0.1:$port/api/v1/feedback")
[ "$feedback" = 201 ] && pass "the server took a prediction and a feedback" || fail "feedback answered $feedback"
stop_server

# 4. The command-line tools, from dist/, without dev dependencies.
out=$(npm run --silent train -- --data test/fixtures/mini-imdb --out "$work/mini.bin" 2>&1)
if grep -q '^documents=' <<<"$out" && [ -s "$work/mini.bin" ]; then pass "npm run train wrote a model"; else fail "npm run train: $out"; fi
out=$(npm run --silent evaluate -- --data test/fixtures/mini-imdb --split test --model "$work/mini.bin" 2>&1)
if tail -n 1 <<<"$out" | grep -Eq '^accuracy=[0-9.]+ n=40'; then pass "npm run evaluate: $(tail -n 1 <<<"$out" | cut -d' ' -f1-2)"; else fail "npm run evaluate: $out"; fi
out=$(npm run --silent update 2>&1)
if grep -q 'wrote data/model.bin' <<<"$out" && [ -s data/model.bin.prev ]; then
  pass "npm run update folded the feedback into data/model.bin"
else
  fail "npm run update: $out"
fi

# 5. Sources newer than dist/ and nothing to compile them with: a clear refusal.
touch src/config.ts
if out=$(npm start 2>&1); then
  fail "npm start ran a stale dist/ without TypeScript"
elif grep -q 'src/config.ts is newer than dist/src/config.js, and TypeScript (a dev dependency) is not installed' <<<"$out"; then
  pass "stale dist/ without TypeScript: npm start refuses and says how to build"
else
  fail "stale dist/ without TypeScript: $out"
fi

echo "install: $passes passed, $failures failed"
exit $((failures > 0))
