#!/usr/bin/env bash
# `npm test`: everything, on a fresh machine. Installs what is missing (Debian packages, npm ci, the Python venv,
# code-server), builds, then runs: type check, unit tests (plain Node), launcher self-test, live-backend tests
# (real uvicorn + py-spy), and the integration suites inside code-server's real extension host.
# Exit code: non-zero when any stage fails. The last line is the overall "N passed, N failed" count.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log_dir="$root/.cache/test-logs"
mkdir -p "$log_dir"
passed=0
failed=0
failed_stages=()

stage() { printf '\n=== %s ===\n' "$*"; }

# Runs node's test runner on the given files (TAP output), adds its counts to the totals.
node_tests() {
  local name="$1"
  shift
  local out="$log_dir/$name.tap"
  if [[ $# -eq 0 ]]; then
    echo "no test files for $name" >&2
    failed=$((failed + 1))
    failed_stages+=("$name (no test files)")
    return
  fi
  node --test --test-reporter=tap "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -E '^# pass [0-9]+' "$out" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' "$out" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [[ $rc -ne 0 ]]; then
    [[ ${f:-0} -eq 0 ]] && failed=$((failed + 1))
    failed_stages+=("$name")
  fi
}

stage "set-up (installs only what is missing)"
bash scripts/ensure-system.sh || exit 1
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund || exit 1
fi
bash scripts/ensure-venv.sh || exit 1
bash scripts/ensure-code-server.sh || exit 1

stage "build"
rm -rf out
node esbuild.mjs || exit 1

stage "type check"
if npx tsc -p tsconfig.json --noEmit; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_stages+=("typecheck"); fi

stage "lint (floating/misused promises)"
if npx eslint; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_stages+=("lint"); fi

stage "unit tests (plain Node)"
node_tests unit out/test/unit/*.test.js

stage "launcher self-test (a failing suite must fail the launcher)"
node_tests launcher out/test/launcher/*.test.js

stage "live tests (real uvicorn, real py-spy)"
# One file at a time: each starts real servers and the machine has 2 cores.
node_tests live --test-concurrency=1 out/test/live/*.test.js

stage "integration tests (real VS Code: code-server extension host)"
int_out="$log_dir/integration.log"
node scripts/vscodeTest.mjs 2>&1 | tee "$int_out"
rc=${PIPESTATUS[0]}
p=$(grep -Eo '[0-9]+ passing' "$int_out" | tail -1 | awk '{print $1}')
f=$(grep -Eo '[0-9]+ failing' "$int_out" | tail -1 | awk '{print $1}')
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [[ $rc -ne 0 ]]; then
  [[ ${f:-0} -eq 0 ]] && failed=$((failed + 1))
  failed_stages+=("integration")
fi

stage "packaging (the VSIX installs into code-server)"
# Last: packaging rebuilds dist/ as a production bundle.
node_tests package test/package/*.test.mjs

echo
if [[ ${#failed_stages[@]} -gt 0 ]]; then
  echo "FAILED stages: ${failed_stages[*]}"
fi
echo "${passed} passed, ${failed} failed"
[[ ${#failed_stages[@]} -eq 0 && $failed -eq 0 ]]
