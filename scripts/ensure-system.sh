#!/usr/bin/env bash
# Installs the Debian packages the project needs (headless Chromium for the real-VS-Code tests and the UI
# driver; headers that code-server's native modules build against; ripgrep for its search), only when missing.
# Idempotent and silent when everything is present; uses sudo when not root.
set -euo pipefail

# dpkg package -> why
want=(
  chromium         # the workbench runs in it (playwright-core, executablePath /usr/bin/chromium)
  libkrb5-dev      # code-server's kerberos module builds against it
  libxkbfile-dev   # native-keymap
  libsecret-1-dev  # keytar / secret storage
  pkg-config       # node-gyp finds the libraries above
  ripgrep          # code-server's search (linked in place of @vscode/ripgrep, which downloads from GitHub)
)

installed() {
  # "install ok installed" only; a removed package leaves config files and a different status.
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

missing=()
for pkg in "${want[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
# python3-venv only when the interpreter cannot make a venv (some images have ensurepip built in).
tmp_venv="$(mktemp -d)"
if ! python3 -m venv --without-pip "$tmp_venv/v" >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  installed python3-venv || missing+=(python3-venv)
fi
rm -rf "$tmp_venv"

[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "ensure-system: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "ensure-system: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run (several scripts may call this at once) instead of failing on the lock.
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
"${sudo[@]}" apt-get "${apt_opts[@]}" update >/dev/null
"${sudo[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
echo "ensure-system: done" >&2
