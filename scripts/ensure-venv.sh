#!/usr/bin/env bash
# Creates (or refreshes) the project's Python venv at .cache/venv from the pinned requirements
# (examples/news-backend/requirements.txt): the demo backend, the live-hang tests, py-spy and ruff run from it.
# Idempotent: does nothing when the requirements file has not changed since the last successful install.
# Safe to run from several scripts at once (npm test and npm run demo): the install is serialised by a lock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv"
req="$root/examples/news-backend/requirements.txt"
# Test tools (pre-commit, check-jsonschema) and the fix-property corpus (public packages, sources only).
test_req="$root/scripts/requirements-test.txt"
corpus_req="$root/scripts/fix-corpus.txt"
corpus="$root/.cache/fix-corpus"
stamp="$venv/.requirements.sha256"
want="$(cat "$req" "$test_req" "$corpus_req" | sha256sum | cut -d' ' -f1)"
up_to_date() { [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; }
up_to_date && exit 0

mkdir -p "$root/.cache"
exec 9>"$root/.cache/.venv.lock"
flock 9
up_to_date && exit 0 # another caller finished the install while we waited

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || {
  echo "ensure-venv: $python not found; install Python 3.9+ (apt-get install python3 python3-venv)" >&2
  exit 1
}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || {
  echo "ensure-venv: $python is $("$python" -V 2>&1); FastAPI 0.142 needs Python 3.9+ (set PYTHON=...)" >&2
  exit 1
}
echo "ensure-venv: installing $req into $venv" >&2
rm -f "$stamp" # a failed install below must not look finished
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" -r "$test_req"
rm -rf "$corpus"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-compile --target "$corpus" \
  -r "$corpus_req"
# The stamp is written last: it is the "finished" marker.
echo "$want" >"$stamp"
