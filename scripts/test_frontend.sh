#!/usr/bin/env bash
# The frontend's checks: types, lint, unit tests (vitest), then the end-to-end run in Chromium.
# Exits non-zero when any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d frontend/node_modules ] || bash scripts/install.sh
failed=()
run() {  # run NAME CMD...
  local name=$1; shift
  echo; echo "==> frontend: $name"
  "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then echo "FAILED: frontend $name (exit $rc)"; failed+=("$name"); fi
}
run "typecheck" bash -c "cd frontend && npm run --silent typecheck"
run "lint" bash -c "cd frontend && npm run --silent lint"
run "unit tests" bash -c "cd frontend && npm run --silent test:unit"
run "end-to-end" bash scripts/e2e.sh
if [ ${#failed[@]} -gt 0 ]; then
  echo "frontend checks FAILED: ${failed[*]}"
  exit 1
fi
echo "frontend checks passed"
