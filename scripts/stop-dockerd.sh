#!/usr/bin/env bash
# Stops the dockerd that scripts/ensure-runtimes.sh --docker started (its pidfile is
# .cache/runtimes/docker/dockerd.pid) and nothing else: a dockerd started any other way is left alone.
# dockerd stops its own containers and the containerd it started. Idempotent: no such dockerd -> exit 0.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pidfile="$root/.cache/runtimes/docker/dockerd.pid"

[[ -f "$pidfile" ]] || exit 0
pid="$(cat "$pidfile" 2>/dev/null || true)"
# Only a live dockerd that was given this very pidfile (a stale pidfile's pid may belong to anything by now).
if ! [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] ||
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]] ||
  ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--pidfile $pidfile"; then
  echo "stop-dockerd: $pidfile is stale (pid ${pid:-?} is not our dockerd); removing it" >&2
  rm -f "$pidfile"
  exit 0
fi

echo "stop-dockerd: stopping dockerd (pid $pid)" >&2
kill -TERM "$pid"
# dockerd stops its containers first (10 s grace each by default), then containerd.
for ((i = 0; i < 300; i++)); do
  [[ -e "/proc/$pid" ]] || break
  sleep 0.2
done
if [[ -e "/proc/$pid" ]]; then
  echo "stop-dockerd: dockerd (pid $pid) did not exit within 60 s; still running" >&2
  exit 1
fi
rm -f "$pidfile" # dockerd removes it itself on a clean exit
# dockerd leaves the bind mount of its (host) network namespace behind; drop it when no dockerd is left.
netns=/run/docker/netns/default
if grep -q " $netns nsfs " /proc/mounts && ! grep -qx dockerd /proc/[0-9]*/comm 2>/dev/null; then
  umount "$netns" 2>/dev/null || echo "stop-dockerd: could not unmount $netns" >&2
fi
echo "stop-dockerd: stopped" >&2
