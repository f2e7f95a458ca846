#!/usr/bin/env bash
# `make run`: bootstrap, then serve the site with a Celery worker and beat at http://127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-animesite.settings.local}
# Served with DEBUG off (no traceback ever reaches a visitor) unless `make dev` asked for it; the
# secret key is generated once per installation into var/secret_key when none is configured.
export DJANGO_DEBUG=${DJANGO_DEBUG:-false}
bash scripts/bootstrap.sh
PORT=${PORT:-8000}
mkdir -p var/log
pids=()
cleanup() { echo "stopping..."; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
.venv/bin/celery -A animesite worker -Q default,training -c 2 -l info >var/log/worker.log 2>&1 &
pids+=($!)
.venv/bin/celery -A animesite beat -l info >var/log/beat.log 2>&1 &
pids+=($!)
echo "worker and beat started (logs in var/log/)"
echo "serving http://127.0.0.1:${PORT}/  (admin: /admin/, API docs: /api/docs/)  Ctrl-C stops"
.venv/bin/gunicorn animesite.wsgi:application --config gunicorn.conf.py --bind "127.0.0.1:${PORT}" \
  --access-logfile var/log/access.log &
pids+=($!)
wait -n "${pids[@]}"
