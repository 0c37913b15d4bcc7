#!/usr/bin/env bash
# `npm test`: everything, on a fresh machine. Installs what is missing (Debian packages, npm ci, the Python venv,
# code-server 4.100.3 and 4.139.1 with its Node 24), builds, then runs: type check, unit tests (plain Node),
# launcher self-test, live-backend tests (real uvicorn + py-spy), and the integration suites inside code-server's
# real extension host, in the oldest supported VS Code (1.100.3) and the newest tested (1.139.1).
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
# The runtime matrix's Pythons 3.9-3.14, py-spy 0.3.14-0.4.3 and a bridge-less dockerd with the test images
# (scripts/ensure-runtimes.sh --docker, cached in .cache/runtimes; the dockerd it starts is stopped at the end): built in the background while everything else installs and the unit tests run; the live
# stage waits for it. A no-op when cached.
runtimes_log="$log_dir/ensure-runtimes.log"
bash scripts/ensure-runtimes.sh --docker >/dev/null 2>"$runtimes_log" &
runtimes_pid=$!
# code-server 4.139.1 (+ Node 24) installs in the background meanwhile (its own folder and lock): on a fresh
# machine that is 1-2 minutes of downloads and native builds overlapping npm ci, the venv and 4.100.3.
# A no-op when already installed.
install_log="$log_dir/ensure-code-server-4.139.1.log"
bash scripts/ensure-code-server.sh 4.139.1 >/dev/null 2>"$install_log" &
install_pid=$!
# On a failed step, let the background install finish (no half-written cache, no orphan) before exiting.
setup_failed() {
  wait "$install_pid"
  exit 1
}
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund || setup_failed
fi
bash scripts/ensure-venv.sh || setup_failed
bash scripts/ensure-code-server.sh 4.100.3 >/dev/null || setup_failed
wait "$install_pid"
install_rc=$?
cat "$install_log"
[[ $install_rc -eq 0 ]] || { echo "set-up: installing code-server 4.139.1 failed" >&2; exit 1; }

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
if wait "$runtimes_pid"; then
  tail -n 1 "$runtimes_log"
else
  cat "$runtimes_log"
  echo "set-up: scripts/ensure-runtimes.sh failed: the runtime matrix will fail" >&2
fi
# One file at a time: each starts real servers and the machine has 2 cores.
node_tests live --test-concurrency=1 out/test/live/*.test.js

# Adds one finished integration run's counts to the totals: $1 VS Code version, $2 its log, $3 its exit code.
integration_counts() {
  local vscode="$1" out="$2" rc="$3"
  local p f
  p=$(grep -Eo '[0-9]+ passing' "$out" | tail -1 | awk '{print $1}')
  f=$(grep -Eo '[0-9]+ failing' "$out" | tail -1 | awk '{print $1}')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  echo "integration in VS Code $vscode: ${p:-0} passed, ${f:-0} failed (exit code $rc)"
  if [[ $rc -ne 0 ]]; then
    [[ ${f:-0} -eq 0 ]] && failed=$((failed + 1))
    failed_stages+=("integration (VS Code $vscode)")
  fi
}

stage "integration tests (real VS Code: code-server extension host, oldest and newest VS Code)"
# Both versions at once, each with its own server, browser, workspace and ports: a run mostly waits (workbench
# start-up, the extension host, real backends), about half a core each. 1.139.1's output is shown once
# 1.100.3's is done, each under its own heading and with its own counts.
oldest_out="$log_dir/integration-4.100.3.log"
latest_out="$log_dir/integration-4.139.1.log"
node scripts/vscodeTest.mjs --vscode 4.139.1 >"$latest_out" 2>&1 &
latest_pid=$!
echo "--- VS Code 1.100.3 (code-server 4.100.3) ---"
node scripts/vscodeTest.mjs --vscode 4.100.3 2>&1 | tee "$oldest_out"
oldest_rc=${PIPESTATUS[0]}
wait "$latest_pid"
latest_rc=$?
integration_counts 1.100.3 "$oldest_out" "$oldest_rc"
echo "--- VS Code 1.139.1 (code-server 4.139.1) ---"
cat "$latest_out"
integration_counts 1.139.1 "$latest_out" "$latest_rc"

# The dockerd ensure-runtimes started (none when one was already running): stopped once nothing needs it.
bash scripts/stop-dockerd.sh >/dev/null 2>&1 || true

stage "packaging (the VSIX installs into code-server)"
# Last: packaging rebuilds dist/ as a production bundle.
node_tests package test/package/*.test.mjs

echo
if [[ ${#failed_stages[@]} -gt 0 ]]; then
  echo "FAILED stages: ${failed_stages[*]}"
fi
echo "${passed} passed, ${failed} failed"
[[ ${#failed_stages[@]} -eq 0 && $failed -eq 0 ]]
