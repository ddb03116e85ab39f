#!/usr/bin/env bash
# The container image and the compose file, tried with podman as an operator would use them:
#
#   image   built from the repository's Dockerfile; run on a volume: first page, a prediction, a
#           feedback; runs as a non-root uid; stops on SIGTERM within 10 s, exit code 0; a new
#           container on the same volume answers the same review with the same probability; its
#           HEALTHCHECK passes
#   compose compose.yaml up (PostgreSQL 18, two instances, Caddy with TLS for `localhost`): a
#           feedback through Caddy over HTTPS, then both instances answer the same review with the
#           same model version and probability; pg_dump of the database restores into another
#           one with the same rows, and over the live one, after which both instances serve what
#           the dump held (docs/deploy.md's backup and restore)
#
# Needs podman, podman-compose and the base images the Dockerfile and compose.yaml name (on a
# machine without a registry, tools/image/*.sh make stand-ins; .ci/run does all of it).
#
# Usage: bash test/image/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

limits=(--ulimit nofile=1024:4096 --ulimit nproc=1024:4096)
image=movieclassifier:test
run_id=mcimg$$
volume="$run_id-data"
project="$run_id"
work=$(mktemp -d)
failures=0
passes=0
pass() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "not ok - $1"; failures=$((failures + 1)); }
cleanup() {
  podman rm -f "$run_id-a" "$run_id-b" >/dev/null 2>&1 || true
  podman volume rm -f "$volume" >/dev/null 2>&1 || true
  if [ -n "${compose_up:-}" ]; then compose down -v >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
# podman's messages (on a machine without systemd it complains about every health check timer it
# cannot make) go to a log that is shown when something fails.
podman() { command podman "$@" 2>>"$work/podman.log"; }

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
json_field() { node -e 'const v=JSON.parse(process.argv[1])[process.argv[2]]; console.log(v)' "$1" "$2"; }
review='A warm, funny and moving film; the cast is wonderful and the script sparkles.'
predict_body=$(node -e 'console.log(JSON.stringify({review: process.argv[1]}))' "$review")

# Waits up to $2 seconds for URL $1 to answer 200.
wait_for() {
  local deadline=$(($(date +%s) + $2))
  until curl -skf -o /dev/null "$1"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.25
  done
}

# --- the image -----------------------------------------------------------------------------------
started=$(date +%s%N)
podman build --quiet --format docker --network=host "${limits[@]}" --tag "$image" . >/dev/null
echo "# image built in $(ms_since "$started") ms"

port=$(free_port)
podman volume create "$volume" >/dev/null
run_app() { podman run -d "${limits[@]}" --name "$1" -p "127.0.0.1:$port:3000" -v "$volume:/data" -e RATE_LIMIT=off "$image" >/dev/null; }
base="http://127.0.0.1:$port"

started=$(date +%s%N)
run_app "$run_id-a"
if wait_for "$base/" 60; then pass "the container serves its first page ($(ms_since "$started") ms after podman run)"; else
  fail "the container never served: $(command podman logs "$run_id-a" 2>&1 | tail -5)"
  exit 1
fi

pid=$(podman inspect --format '{{.State.Pid}}' "$run_id-a")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
command=$(tr '\0' ' ' <"/proc/$pid/cmdline")
if [ "$uid" != 0 ] && [ "$(podman exec "$run_id-a" id -un)" = node ]; then pass "runs as the user node (uid $uid): $command"; else fail "runs as uid $uid"; fi

predicted=$(curl -sf -H 'content-type: application/json' -d "$predict_body" "$base/api/v1/predict")
before=$(json_field "$predicted" probability)
status=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d "{\"predictionId\":\"$(json_field "$predicted" predictionId)\",\"correct\":false}" "$base/api/v1/feedback")
learned=$(json_field "$(curl -sf -H 'content-type: application/json' -d "$predict_body" "$base/api/v1/predict")" probability)
if [ "$status" = 201 ] && [ "$learned" != "$before" ]; then
  pass "a prediction ($before) and a feedback (201); the same review now gets $learned"
else
  fail "feedback answered $status; probability $before then $learned"
fi

started=$(date +%s%N)
podman stop --time 10 "$run_id-a" >/dev/null
stop_ms=$(ms_since "$started")
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$run_id-a")
if [ "$exit_code" = 0 ] && [ "$stop_ms" -lt 10000 ]; then pass "SIGTERM: stopped in $stop_ms ms, exit code 0"; else fail "SIGTERM: exit code $exit_code after $stop_ms ms"; fi
podman rm "$run_id-a" >/dev/null

run_app "$run_id-b"
wait_for "$base/" 60 || fail "the second container never served"
again=$(json_field "$(curl -sf -H 'content-type: application/json' -d "$predict_body" "$base/api/v1/predict")" probability)
if [ "$again" = "$learned" ]; then pass "a new container on the same volume answers $again, as before the restart"; else fail "after the restart: $again, before: $learned"; fi
if podman healthcheck run "$run_id-b" >/dev/null 2>&1; then pass "the HEALTHCHECK passes"; else fail "the HEALTHCHECK fails"; fi
podman rm -f "$run_id-b" >/dev/null

# --- compose --------------------------------------------------------------------------------------
export SITE_ADDRESS=localhost HTTP_PORT HTTPS_PORT APP_IMAGE="$image"
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
export POSTGRES_PASSWORD CSRF_SECRET ADMIN_PASSWORD
POSTGRES_PASSWORD=$(node -e "console.log(require('crypto').randomBytes(16).toString('hex'))")
CSRF_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")
ADMIN_PASSWORD=$(node -e "console.log(require('crypto').randomBytes(12).toString('hex'))")
compose() { podman-compose --no-ansi -f compose.yaml -p "$project" --podman-run-args="${limits[*]}" --podman-rm-args=--volumes "$@"; }
container() { echo "${project}_$1_1"; }
# Runs a request inside an app container (their port is not published; only Caddy's is).
inside() { podman exec "$(container "$1")" node -e "$2" "${@:3}"; }
predict_inside='fetch("http://127.0.0.1:3000/api/v1/predict",{method:"POST",headers:{"content-type":"application/json"},body:process.argv[1]}).then(r=>r.json()).then(j=>console.log(j.modelVersion+" "+j.probability))'

started=$(date +%s%N)
compose_up=1
# PostgreSQL first, healthy, then the rest: podman-compose 1.0 does not wait for
# `condition: service_healthy` as Docker Compose does.
compose up -d postgres >"$work/compose.log" 2>&1
for _ in $(seq 1 120); do podman healthcheck run "$(container postgres)" >/dev/null 2>&1 && break; sleep 0.5; done
compose up -d >>"$work/compose.log" 2>&1
site="https://localhost:$HTTPS_PORT"
resolve=(--resolve "localhost:$HTTPS_PORT:127.0.0.1")
deadline=$(($(date +%s) + 120))
until curl -skf "${resolve[@]}" -o /dev/null "$site/healthz"; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    fail "compose: Caddy never answered $site/healthz"
    tail -n 30 "$work/compose.log"
    command podman logs --tail 20 "$(container app1)" 2>&1 || true
    exit 1
  fi
  sleep 0.5
done
pass "compose up: https://localhost answers through Caddy ($(ms_since "$started") ms)"

tls=$(curl -sk "${resolve[@]}" -o /dev/null -w '%{scheme} %{http_version} %{ssl_verify_result}' "$site/")
redirect=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/" -H 'host: localhost')
if [[ "$redirect" == 30[18]\ https://localhost/* ]]; then pass "HTTP redirects to HTTPS ($redirect); HTTPS: $tls"; else fail "HTTP answered $redirect"; fi

one=$(inside app1 "$predict_inside" "$predict_body")
predicted=$(curl -skf "${resolve[@]}" -H 'content-type: application/json' -d "$predict_body" "$site/api/v1/predict")
status=$(curl -sk "${resolve[@]}" -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d "{\"predictionId\":\"$(json_field "$predicted" predictionId)\",\"correct\":false}" "$site/api/v1/feedback")
# Each instance follows the log (RELOAD_POLL_MS, 1 s by default): wait until both moved.
agreed=
for _ in $(seq 1 40); do
  a=$(inside app1 "$predict_inside" "$predict_body")
  b=$(inside app2 "$predict_inside" "$predict_body")
  if [ "$a" = "$b" ] && [ "$a" != "$one" ]; then agreed=$a; break; fi
  sleep 0.5
done
if [ "$status" = 201 ] && [ -n "$agreed" ]; then
  pass "after a feedback through Caddy both instances answer '$agreed' (model version, probability; before: '$one')"
else
  fail "after the feedback ($status): app1 '$a', app2 '$b', before '$one'"
fi

pg=$(container postgres)
podman exec "$pg" pg_dump -U movieclassifier -Fc movieclassifier >"$work/backup.dump"
podman exec "$pg" createdb -U movieclassifier restored
podman exec -i "$pg" pg_restore -U movieclassifier -d restored --no-owner <"$work/backup.dump"
rows() { podman exec "$pg" psql -U movieclassifier -d "$1" -Atc 'SELECT count(*), max(id) FROM review_db'; }
if [ "$(rows restored)" = "$(rows movieclassifier)" ] && [ "$(rows restored)" != "0|" ]; then
  pass "pg_dump ($(stat -c %s "$work/backup.dump") bytes) restores into another database with the same review_db rows ($(rows restored))"
else
  fail "restore: $(rows restored) rows against $(rows movieclassifier)"
fi

# docs/deploy.md's restore over the live database: a feedback made after the dump is gone, and the
# instances, restarted, serve what the dump held.
predicted=$(curl -skf "${resolve[@]}" -H 'content-type: application/json' -d "$predict_body" "$site/api/v1/predict")
curl -sk "${resolve[@]}" -o /dev/null -H 'content-type: application/json' \
  -d "{\"predictionId\":\"$(json_field "$predicted" predictionId)\",\"correct\":false}" "$site/api/v1/feedback"
compose stop app1 app2 >/dev/null 2>&1
podman exec "$pg" dropdb -U movieclassifier movieclassifier
podman exec "$pg" createdb -U movieclassifier movieclassifier
podman exec -i "$pg" pg_restore -U movieclassifier -d movieclassifier --no-owner <"$work/backup.dump"
compose start app1 app2 >/dev/null 2>&1
restored_a= restored_b=
for _ in $(seq 1 120); do
  restored_a=$(inside app1 "$predict_inside" "$predict_body" 2>/dev/null) && restored_b=$(inside app2 "$predict_inside" "$predict_body" 2>/dev/null) && break
  sleep 0.5
done
if [ "$restored_a" = "$agreed" ] && [ "$restored_b" = "$agreed" ] && [ "$(rows movieclassifier)" = "$(rows restored)" ]; then
  pass "restored over the live database: both instances answer '$restored_a' again, the later feedback gone"
else
  fail "after the restore: app1 '$restored_a', app2 '$restored_b' (the dump's: '$agreed'); rows $(rows movieclassifier)"
fi

compose down -v >/dev/null 2>&1
compose_up=
[ "$failures" = 0 ] || { echo "# podman's messages:"; tail -n 40 "$work/podman.log"; }
echo "image: $passes passed, $failures failed"
exit $((failures > 0))
