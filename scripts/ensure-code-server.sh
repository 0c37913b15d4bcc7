#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3) into .cache/code-server, offline-friendly: npm and Debian only.
# The recipe is ../shared/TESTING-VSCODE.md's: code-server's own postinstall downloads ripgrep from GitHub and
# needs --unsafe-perm as root, so we skip it and do its steps by hand (native modules build with node-gyp).
# Idempotent: a stamp file records the finished version; a re-run is a fast no-op.
# Prints the absolute path of entry.js on stdout (always .cache/code-server/node_modules/code-server/out/node/entry.js).
set -euo pipefail
version="4.100.3"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${CODE_SERVER_DIR:-$root/.cache/code-server}"
entry="$dir/node_modules/code-server/out/node/entry.js"
stamp="$dir/.installed-$version"

if [[ -f "$stamp" && -f "$entry" ]]; then
  echo "$entry"
  exit 0
fi

# Two callers at once (npm test and npm run demo) must not build into the same folder concurrently.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -f "$stamp" && -f "$entry" ]]; then
  echo "$entry"
  exit 0
fi

bash "$root/scripts/ensure-system.sh"
command -v rg >/dev/null || { echo "ensure-code-server: ripgrep (rg) not found" >&2; exit 1; }

log="$dir/install.log"
echo "ensure-code-server: installing code-server $version into $dir (log: $log)" >&2
: >"$log"
run() { "$@" >>"$log" 2>&1 || { echo "ensure-code-server: failed: $* (see $log)" >&2; tail -n 30 "$log" >&2; exit 1; }; }
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

cd "$dir"
[[ -f package.json ]] || echo '{ "name": "code-server-cache", "private": true }' >package.json
run npm install --no-save "code-server@$version" --ignore-scripts

vs="$dir/node_modules/code-server/lib/vscode"
cd "$vs"
run npm install --omit=dev --ignore-scripts
run npm rebuild node-pty @vscode/spdlog native-watchdog kerberos @parcel/watcher
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && run npm install --omit=dev --ignore-scripts)

cd "$dir"
run npm rebuild argon2
# --version may print an info line first (it writes a default config file on first run): pick the version line.
got="$(XDG_CONFIG_HOME="$dir/config" node "$entry" --version 2>>"$log" | grep -E "^$version " | head -n 1 || true)"
[[ "$got" == "$version "* ]] || { echo "ensure-code-server: unexpected version output: $got" >&2; exit 1; }
echo "$got" >"$stamp"
echo "ensure-code-server: ready ($got)" >&2
echo "$entry"
