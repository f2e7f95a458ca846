#!/usr/bin/env bash
# Install system packages (when missing), the Python virtualenv and the frontend's node modules.
# Fast when everything is already there: each step checks before it works.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3

need_apt=()
[ -f /usr/include/mariadb/mysql.h ] || [ -f /usr/include/mysql/mysql.h ] || need_apt+=(libmariadb-dev)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v java >/dev/null || need_apt+=(default-jre-headless)
if [ "${WITH_BROWSER:-0}" = 1 ]; then
  [ -x /usr/bin/chromium ] || need_apt+=(chromium chromium-driver)
  # A CJK font, so Chinese and Japanese text renders in browser screenshots.
  [ -d /usr/share/fonts/truetype/wqy ] || need_apt+=(fonts-wqy-microhei)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing system packages: ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing Python requirements (first time: a few minutes)"
  "$VENV/bin/pip" install -q --upgrade pip wheel
  "$VENV/bin/pip" install -q -r requirements.txt
  echo "$want" > "$stamp"
fi

if [ -f frontend/package.json ]; then
  fstamp=frontend/node_modules/.lock.sha
  fwant=$(sha256sum frontend/package-lock.json 2>/dev/null | cut -d' ' -f1)
  if [ ! -f "$fstamp" ] || [ "$(cat "$fstamp")" != "$fwant" ]; then
    echo "installing frontend packages"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$fwant" > "$fstamp"
  fi
fi
