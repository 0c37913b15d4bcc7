#!/usr/bin/env bash
# Records the dump fixtures of test/fixtures/dumps/foreign from real hung demo servers (runtimes from
# scripts/ensure-runtimes.sh): faulthandler output (kill -USR1 after faulthandler.register) on 3.9, 3.12 and
# 3.14 (sid chroot), and py-spy's text form of every py-spy version the matrix uses. Run by hand (as root,
# like ensure-runtimes); the unit tests read what it wrote.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rt="$root/.cache/runtimes"
out="$root/test/fixtures/dumps/foreign"
mkdir -p "$out"
app="$root/examples/news-backend/backend"
feed_log="$(mktemp)"
"$root/.cache/venv/bin/python" -u "$root/examples/news-backend/feeds/feed_server.py" --port 0 --delay 40 --quiet >"$feed_log" &
feed_pid=$!
trap 'kill $feed_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q FEED_PORT "$feed_log" && break; sleep 0.1; done
feed_url="http://127.0.0.1:$(sed -n 's/^FEED_PORT=//p' "$feed_log")"
launcher='import faulthandler, signal, sys; faulthandler.register(signal.SIGUSR1, all_threads=True); import uvicorn; sys.argv = ["uvicorn"] + sys.argv[1:]; uvicorn.main()'

# $1 label, $2 port, then the command. Starts, hangs it (aborted stream), runs record_cb, stops it.
hang() {
  local label="$1" port="$2"
  shift 2
  NEWS_FEED_BASE_URL="$feed_url" PYTHONDONTWRITEBYTECODE=1 "$@" 2>"$out/.$label.err" >/dev/null &
  server_pid=$!
  for _ in $(seq 100); do curl -s -m 1 "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  curl -s -m 0.6 -N "http://127.0.0.1:$port/news/stream" >/dev/null || true
  sleep 1
}
stop() { pkill -P "$server_pid" 2>/dev/null || true; kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
# The uvicorn process's pid (the chroot launcher's child).
pyspy_pid() { pgrep -f "port $1" | sort -n | tail -1; }

for v in 3.9 3.12; do
  port=$((18700 + ${v#3.}))
  hang "fh$v" "$port" "$rt/py$v/bin/python" -c "$launcher" app.main:app --app-dir "$app" --host 127.0.0.1 --port "$port"
  kill -USR1 "$(pyspy_pid "$port")"; sleep 0.5
  cp "$out/.fh$v.err" "$out/faulthandler-py$v.txt"
  for p in 0.3.14 0.4.0 0.4.2 0.4.3; do
    "$rt/pyspy/$p/bin/py-spy" dump --pid "$(pyspy_pid "$port")" >"$out/pyspy$p-py$v.txt" 2>&1 || true
  done
  stop
done
# uvloop, text form
port=18790
hang uvloop "$port" "$rt/py3.12/bin/python" -m uvicorn app.main:app --app-dir "$app" --host 127.0.0.1 --port "$port" --loop uvloop
"$rt/pyspy/0.4.3/bin/py-spy" dump --pid "$(pyspy_pid "$port")" >"$out/pyspy0.4.3-py3.12-uvloop.txt"
stop
# 3.14 in the sid chroot: faulthandler
rm -rf "$rt/sid/app-rec" && cp -r "$app" "$rt/sid/app-rec"
port=18714
hang fh3.14 "$port" chroot "$rt/sid" /opt/v/bin/python -c "$launcher" app.main:app --app-dir /app-rec --host 127.0.0.1 --port "$port"
kill -USR1 "$(pyspy_pid "$port")"; sleep 0.5
cp "$out/.fh3.14.err" "$out/faulthandler-py3.14.txt"
stop
rm -rf "$rt/sid/app-rec" "$out"/.*.err
# Keep only the dumps: uvicorn's log lines precede faulthandler's output on stderr.
for f in "$out"/faulthandler-*.txt; do sed -i -n '/most recent call first/,$p' "$f"; done
ls -la "$out"
