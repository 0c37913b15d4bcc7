#!/usr/bin/env bash
# Creates (or refreshes) the project's Python venv at .cache/venv from the pinned requirements.
# Idempotent: does nothing when the requirements file has not changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv"
req="$root/examples/news-backend/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { echo "ensure-venv: $python not found; install Python 3.9+ (apt-get install python3 python3-venv)" >&2; exit 1; }
echo "ensure-venv: installing $req into $venv" >&2
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
