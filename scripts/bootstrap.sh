#!/usr/bin/env bash
# Everything `make run` does before serving: install, services, database, data, search index,
# first model, frontend build. Every step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-animesite.settings.local}
PY=.venv/bin/python
t0=$(date +%s)
step() { echo; echo "==> $* ($(( $(date +%s) - t0 )) s)"; }

step "install"; bash scripts/install.sh
step "services"; bash scripts/services.sh up
step "database"; bash scripts/db_setup.sh
$PY manage.py migrate --noinput -v 0
step "data"; $PY manage.py load_catalog --if-empty
$PY manage.py setup_schedules
step "recommendation model"
# The first model is trained once; later retrains come from Celery beat or the admin.
$PY manage.py train_recsys --if-none || echo "  training failed: recommendations are served from popularity until a retrain succeeds" >&2
if [ -f frontend/package.json ]; then
  step "frontend"
  if [ ! -f frontend/dist/index.html ] || [ -n "$(find frontend/src frontend/index.html frontend/package.json -newer frontend/dist/index.html 2>/dev/null | head -1)" ]; then
    (cd frontend && npm run build --silent)
  else
    echo "  frontend build is up to date"
  fi
fi
$PY manage.py collectstatic --noinput -v 0
step "ready"
