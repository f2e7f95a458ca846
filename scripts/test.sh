#!/usr/bin/env bash
# `make test`: lint, types, migrations check, the pytest suite against the real services,
# and the frontend checks. Exits non-zero when anything fails (pytest's "no tests" included).
set -uo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=animesite.settings.test
set -e
WITH_BROWSER=1 bash scripts/install.sh
bash scripts/services.sh up
bash scripts/db_setup.sh
set +e
failed=()
run() {  # run NAME CMD...
  local name=$1; shift
  echo; echo "==> $name"
  "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then echo "FAILED: $name (exit $rc)"; failed+=("$name"); fi
}
run "ruff check" .venv/bin/ruff check .
run "ruff format" .venv/bin/ruff format --check .
run "mypy" .venv/bin/mypy .
run "migrations" .venv/bin/python manage.py makemigrations --check --dry-run
run "pytest" .venv/bin/pytest
if [ -f frontend/package.json ]; then
  run "frontend checks" bash scripts/test_frontend.sh
fi
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "make test: FAILED: ${failed[*]}"
  exit 1
fi
echo "make test: all checks passed"
