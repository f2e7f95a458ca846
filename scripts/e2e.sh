#!/usr/bin/env bash
# End-to-end test: the built site served by gunicorn (local settings, the dev database with the
# real catalogue) and driven by the machine's Chromium through playwright-core.
#   E2E_PORT (default 8010)       where the site is served during the run
#   E2E_SKIP_BOOTSTRAP=1          reuse what is already installed, loaded, trained and built
# bootstrap (the same one `make run` uses) loads the data and trains the first model when none is active.
# The server is always stopped at the end. Screenshots land in frontend/e2e/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=animesite.settings.local
PORT=${E2E_PORT:-8010}
BASE="http://127.0.0.1:${PORT}"
PY=.venv/bin/python
step() { echo "==> e2e: $*"; }

if [ "${E2E_SKIP_BOOTSTRAP:-0}" != 1 ]; then
  step "bootstrap (install, services, database, data, frontend build)"
  bash scripts/bootstrap.sh
else
  [ -f frontend/dist/index.html ] || (cd frontend && npm run build --silent)
  $PY manage.py collectstatic --noinput -v 0
fi

if curl -s -o /dev/null "${BASE}/"; then
  echo "port ${PORT} is already in use; set E2E_PORT to a free port" >&2
  exit 1
fi
mkdir -p var/log
step "serving ${BASE} (gunicorn; Celery tasks run in-process)"
# Production-like static files (whitenoise from collectstatic's output); the MyAnimeList import
# task runs in the request so no worker is needed.
DJANGO_DEBUG=0 CELERY_TASK_ALWAYS_EAGER=1 REGISTER_THROTTLE=1000/hour .venv/bin/gunicorn animesite.wsgi:application \
  --bind "127.0.0.1:${PORT}" --workers 2 --threads 2 --timeout 120 \
  --access-logfile var/log/e2e-access.log --error-logfile var/log/e2e-server.log >>var/log/e2e-server.log 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for _ in $(seq 1 60); do
  curl -sf -o /dev/null "${BASE}/api/auth/me/" && break
  kill -0 "$server" 2>/dev/null || { echo "the server did not start; see var/log/e2e-server.log" >&2; exit 1; }
  sleep 1
done
curl -sf -o /dev/null "${BASE}/api/auth/me/" || { echo "the server did not answer in 60 s" >&2; exit 1; }

step "chromium"
(cd frontend && E2E_BASE_URL="${BASE}" node e2e/run.mjs)
