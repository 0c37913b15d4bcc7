#!/usr/bin/env bash
# Builds the runtimes the live tests run a real server under, into .cache/runtimes (git-ignored via .cache/).
# Recipes: ../shared/TESTING-RUNTIMES.md. Components:
#   py3.9 .. py3.13  venvs from pyenv's CPython builds ($(pyenv root)/versions/3.X.*) with fastapi, uvicorn[standard],
#                    requests, sse-starlette, gunicorn, hypercorn;
#                    pip picks the newest versions that support each Python; pip freeze -> py3.X/freeze.txt
#   pyspy            py-spy 0.3.14, 0.4.0, 0.4.2, 0.4.3 as standalone binaries: pyspy/<ver>/bin/py-spy
#   sid              a Debian sid root with CPython 3.14 (debootstrap) and a venv /opt/v inside it holding the
#                    same packages plus the newest py-spy (root only). pip freeze -> sid.freeze.txt
#   docker           only with --docker (or --only docker): dockerd without a bridge network (containers run
#                    with --network host only) and the images backend-hang-test:py314 (the sid root) and
#                    backend-hang-test:py314-nopyspy (the same without /opt/v/bin/py-spy). Builds sid first.
#                    scripts/stop-dockerd.sh stops a dockerd this script started.
# Usage: scripts/ensure-runtimes.sh [--docker] [--only py3.12,pyspy,sid,docker] [--rebuild] [--quiet]
#   --only     build/check just these components (py = all five venvs)
#   --rebuild  throw the selected components away first and build them again (e.g. to pick up new releases)
#   --quiet    no summary line
#   RUNTIMES_JOBS=N  parallel builds (default 4; pip is mostly network-bound)
# Idempotent: every component writes a stamp (its spec) last; with everything in place a re-run is a fast no-op.
# Several callers at once are safe: each component is built under its own lock, apt runs are serialised.
# stdout: only the absolute path of .cache/runtimes, at the end, on success. Everything else goes to stderr;
# build output goes to .cache/runtimes/logs/<component>.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rt="$root/.cache/runtimes"
locks="$rt/.locks"
logs="$rt/logs"

PY_MINORS=(3.9 3.10 3.11 3.12 3.13)
PY_PACKAGES=(fastapi 'uvicorn[standard]' requests sse-starlette gunicorn hypercorn)
PY_IMPORTS='import fastapi, uvicorn, uvloop, httptools, gunicorn, hypercorn, sse_starlette, requests'
PYSPY_VERSIONS=(0.3.14 0.4.0 0.4.2 0.4.3)
SID_MIRROR="${SID_MIRROR:-http://deb.debian.org/debian}"
SID_INCLUDE="python3.14,python3.14-venv,ca-certificates"
HOST_CA="/etc/ssl/certs/ca-certificates.crt"
DOCKERD_FLAGS=(--bridge=none --iptables=false --ip-masq=false)
IMAGE="backend-hang-test:py314"
IMAGE_NOPYSPY="backend-hang-test:py314-nopyspy"
# Bump when the recipe changes in a way the specs below do not capture: every component is rebuilt.
RECIPE=1

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore

log() { echo "ensure-runtimes: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit "${1:-0}"
}

# ---------------------------------------------------------------- arguments
docker_wanted=0 rebuild=0 quiet=0 only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --docker) docker_wanted=1 ;;
  --only) [[ $# -ge 2 ]] || die "--only needs a list, e.g. --only py3.12,pyspy"; only="$2"; shift ;;
  --only=*) only="${1#--only=}" ;;
  --rebuild) rebuild=1 ;;
  -q | --quiet) quiet=1 ;;
  -h | --help) usage 0 ;;
  *) log "unknown argument: $1"; usage 2 ;;
  esac
  shift
done

all_components=()
for m in "${PY_MINORS[@]}"; do all_components+=("py$m"); done
all_components+=(pyspy sid docker)

selected=()
add() {
  local c
  for c in "${selected[@]}"; do [[ "$c" == "$1" ]] && return 0; done
  selected+=("$1")
}
if [[ -z "$only" ]]; then
  for c in "${all_components[@]}"; do [[ "$c" == docker && $docker_wanted == 0 ]] || add "$c"; done
else
  IFS=',' read -ra wanted <<<"$only"
  for w in "${wanted[@]}"; do
    w="${w// /}"
    [[ -z "$w" ]] && continue
    if [[ "$w" == py ]]; then
      for m in "${PY_MINORS[@]}"; do add "py$m"; done
      continue
    fi
    ok=0
    for c in "${all_components[@]}"; do [[ "$c" == "$w" ]] && ok=1; done
    [[ $ok == 1 ]] || die "unknown component '$w' (known: ${all_components[*]}, py)"
    add "$w"
  done
  [[ ${#selected[@]} -gt 0 ]] || die "--only selected nothing"
  [[ $docker_wanted == 1 ]] && add docker
fi
is_selected() {
  local c
  for c in "${selected[@]}"; do [[ "$c" == "$1" ]] && return 0; done
  return 1
}
# The images are made from the sid root.
is_selected docker && ! is_selected sid && add sid

# ---------------------------------------------------------------- helpers
# A stamp's first line is the spec it was built from; later lines are informational.
stamp_ok() { # file spec
  local first=""
  [[ -f "$1" ]] && IFS= read -r first <"$1" || true
  [[ "$first" == "$2" ]]
}

proot=""
pyenv_root() {
  if [[ -z "$proot" ]]; then
    if [[ -n "${PYENV_ROOT:-}" ]]; then
      proot="$PYENV_ROOT"
    elif command -v pyenv >/dev/null; then
      proot="$(pyenv root)"
    else
      proot="$HOME/.pyenv"
    fi
  fi
  echo "$proot"
}

# The newest pyenv build of a minor version, e.g. 3.12 -> /root/.pyenv/versions/3.12.1/bin/python.
pyenv_python() { # minor
  local minor="$1" d name best=""
  local re="^${minor//./\\.}\\.[0-9]+$"
  for d in "$(pyenv_root)/versions/$minor".*; do
    name="${d##*/}"
    [[ "$name" =~ $re && -x "$d/bin/python" ]] || continue
    if [[ -z "$best" || "$(printf '%s\n%s\n' "${best}" "$name" | sort -V | tail -n 1)" == "$name" ]]; then best="$name"; fi
  done
  [[ -n "$best" ]] || return 1
  echo "$(pyenv_root)/versions/$best/bin/python"
}

venv_spec() { # minor (fails when pyenv has no such Python)
  local py
  py="$(pyenv_python "$1")" || return 1
  echo "recipe=$RECIPE python=$py packages=${PY_PACKAGES[*]}"
}
pyspy_spec() { echo "recipe=$RECIPE py-spy==$1"; }
sid_spec() { echo "recipe=$RECIPE suite=sid include=$SID_INCLUDE packages=${PY_PACKAGES[*]} py-spy"; }

# Removes a folder under $rt; refuses when something is mounted below it (a chroot's /proc, say).
safe_rm() { # dir
  local d="$1" mounted
  [[ -e "$d" || -L "$d" ]] || return 0
  case "$d" in "$rt"/?*) ;; *) die "refusing to remove $d: not under $rt" ;; esac
  mounted="$(awk -v p="$d/" 'index($2 "/", p) == 1 { print $2 }' /proc/mounts)"
  [[ -z "$mounted" ]] || die "$d has file systems mounted below it; unmount them first: $(echo $mounted)"
  rm -rf --one-file-system "$d"
}

need_root() { # what
  [[ "$(id -u)" == 0 ]] || die "$1 needs root (debootstrap, chroot, dockerd); run as root"
}

# Installs Debian packages when missing. Serialised (several components, several callers) and waits for dpkg.
# No service starts during the install: docker.io's postinst would start a dockerd with the default bridge.
apt_install() { # pkg...
  (
    exec 8>"$locks/apt.lock"
    flock 8
    local created_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\n# temporary, from ensure-runtimes.sh: start no services during apt-get install\nexit 101\n' \
        >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      created_policy=1
    fi
    # shellcheck disable=SC2317
    cleanup() { [[ $created_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d; true; }
    trap cleanup EXIT
    export DEBIAN_FRONTEND=noninteractive
    local opts=(-o DPkg::Lock::Timeout=600 -q)
    echo "apt-get install $*"
    apt-get "${opts[@]}" update
    apt-get "${opts[@]}" install -y --no-install-recommends "$@"
  )
}

host_pip_python() {
  if command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; then
    echo python3
    return
  fi
  local m py
  for m in "${PY_MINORS[@]}"; do
    py="$(pyenv_python "$m")" && "$py" -m pip --version >/dev/null 2>&1 && { echo "$py"; return; }
  done
  return 1
}

# ---------------------------------------------------------------- readiness (cheap: stamps only)
dockerd_pidfile="$rt/docker/dockerd.pid"
dockerd_log="$rt/docker/dockerd.log"

sid_build_id() { sed -n '2p' "$rt/sid.ready" 2>/dev/null; }

image_ok() { # tag: imported from the current sid root
  local want got
  want="sid-build=$(sid_build_id)"
  got="$(docker image inspect -f '{{.Comment}}' "$1" 2>/dev/null)" || return 1
  [[ "$got" == "$want" ]]
}

ready() { # component
  local c="$1" v spec
  case "$c" in
  py3.*)
    spec="$(venv_spec "${c#py}")" || return 1
    stamp_ok "$rt/$c/.ready" "$spec" && [[ -x "$rt/$c/bin/python" ]]
    ;;
  pyspy)
    for v in "${PYSPY_VERSIONS[@]}"; do
      stamp_ok "$rt/pyspy/$v/.ready" "$(pyspy_spec "$v")" && [[ -x "$rt/pyspy/$v/bin/py-spy" ]] || return 1
    done
    ;;
  # (/opt/v/bin/python is a symlink to /usr/bin/python3.14: resolvable inside the root only)
  sid) stamp_ok "$rt/sid.ready" "$(sid_spec)" && [[ -f "$rt/sid/opt/v/pyvenv.cfg" && -x "$rt/sid/usr/bin/python3.14" ]] ;;
  docker)
    command -v docker >/dev/null && docker info >/dev/null 2>&1 && image_ok "$IMAGE" && image_ok "$IMAGE_NOPYSPY"
    ;;
  esac
}

# ---------------------------------------------------------------- builders
# Each runs in its own subshell (a background job): takes the component's lock, re-checks (another caller may
# have built it meanwhile), then builds with its output in logs/<component>.log. $built_marker tells the
# caller that this run did the work.

lock_component() { # name
  exec 9>"$locks/$1.lock"
  flock 9
}
start_log() { # name
  exec >"$logs/$1.log" 2>&1
  echo "== $1: $(date -u +%FT%TZ)"
  touch "$built_marker"
  step_start=$SECONDS
}
step() { echo "-- $* (at +$((SECONDS - step_start))s)"; }

# python -m pip ..., bounded: a resolver that backtracks forever must fail the build, not hang it.
pip_in() { # name python args...
  local name="$1" py="$2" rc=0
  shift 2
  timeout "${RUNTIMES_PIP_TIMEOUT:-1200}" "$py" -m pip "$@" || rc=$?
  [[ $rc == 124 ]] && die "$name: pip $* did not finish within ${RUNTIMES_PIP_TIMEOUT:-1200} s (resolver backtracking?)"
  [[ $rc == 0 ]] || die "$name: pip $* failed (exit $rc)"
}

build_venv() { # minor
  local minor="$1" name="py$1" dir="$rt/py$1" py spec
  py="$(pyenv_python "$minor")" ||
    die "$name: pyenv has no CPython $minor.x in $(pyenv_root)/versions (have: $(ls "$(pyenv_root)/versions" 2>/dev/null | tr '\n' ' ')); install it: pyenv install $minor"
  spec="$(venv_spec "$minor")"
  lock_component "$name"
  ready "$name" && return 0
  start_log "$name"
  echo "interpreter: $py ($("$py" -V 2>&1))"
  safe_rm "$dir"
  step "venv"
  "$py" -m venv "$dir"
  # The pip that comes with 3.9-3.12 (23.x) backtracks for more than 10 minutes over this set of packages
  # (seen with 3.9); a current pip resolves it in seconds.
  step "pip upgrade"
  pip_in "$name" "$dir/bin/python" install --quiet --upgrade pip
  step "pip install"
  pip_in "$name" "$dir/bin/python" install --quiet "${PY_PACKAGES[@]}"
  step "check"
  "$dir/bin/python" -c "$PY_IMPORTS" || die "$name: the packages do not import: $PY_IMPORTS"
  "$dir/bin/python" -m pip freeze >"$dir/freeze.txt"
  cat "$dir/freeze.txt"
  printf '%s\n%s\n' "$spec" "$("$dir/bin/python" -V 2>&1) built $(date -u +%FT%TZ)" >"$dir/.ready"
}

build_pyspy() {
  local v d py got
  lock_component pyspy
  ready pyspy && return 0
  start_log pyspy
  py="$(host_pip_python)" || die "pyspy: no Python with pip found (python3 or a pyenv build)"
  mkdir -p "$rt/pyspy"
  for v in "${PYSPY_VERSIONS[@]}"; do
    d="$rt/pyspy/$v"
    stamp_ok "$d/.ready" "$(pyspy_spec "$v")" && [[ -x "$d/bin/py-spy" ]] && continue
    echo "-- py-spy $v"
    safe_rm "$d.tmp"
    pip_in pyspy "$py" install --quiet --no-deps --only-binary :all: --no-compile --target "$d.tmp" "py-spy==$v"
    # The wheel ships the binary as a script: pip puts it in <target>/bin/py-spy.
    [[ -x "$d.tmp/bin/py-spy" ]] || {
      find "$d.tmp" -name 'py-spy*' >&2
      die "pyspy: py-spy $v: no bin/py-spy in the installed wheel"
    }
    got="$("$d.tmp/bin/py-spy" --version)"
    [[ "$got" == "py-spy $v" ]] || die "pyspy: $d.tmp/bin/py-spy --version says '$got', expected 'py-spy $v'"
    safe_rm "$d"
    mv "$d.tmp" "$d"
    printf '%s\n%s\n' "$(pyspy_spec "$v")" "$got" >"$d/.ready"
  done
}

build_sid() {
  local tmp="$rt/sid.tmp" spec pkgs
  need_root sid
  spec="$(sid_spec)"
  lock_component sid
  ready sid && return 0
  start_log sid
  if ! command -v debootstrap >/dev/null; then
    step "apt-get install debootstrap"
    apt_install debootstrap
  fi
  command -v debootstrap >/dev/null || die "sid: debootstrap still missing after apt-get install"
  rm -f "$rt/sid.ready"
  safe_rm "$tmp"
  step "debootstrap"
  debootstrap --variant=minbase --include="$SID_INCLUDE" sid "$tmp" "$SID_MIRROR"
  step "venv + pip install"
  cp --remove-destination /etc/resolv.conf "$tmp/etc/resolv.conf"
  # This machine's CA bundle (it may hold a proxy's CA): pip inside the root needs it.
  if [[ -f "$HOST_CA" ]]; then
    cp --remove-destination "$HOST_CA" "$tmp/etc/ssl/certs/ca-certificates.crt"
  fi
  printf -v pkgs '%q ' "${PY_PACKAGES[@]}" py-spy
  timeout "${RUNTIMES_PIP_TIMEOUT:-1200}" \
    chroot "$tmp" /usr/bin/env PATH=/usr/local/bin:/usr/bin:/bin HOME=/root PIP_CERT=/etc/ssl/certs/ca-certificates.crt /bin/sh -c \
    "python3.14 -m venv /opt/v && /opt/v/bin/python -m pip install --quiet --upgrade pip && /opt/v/bin/python -m pip install --quiet $pkgs" ||
    die "sid: venv /opt/v or pip install failed (exit $?)"
  step "check"
  chroot "$tmp" /opt/v/bin/python -c "$PY_IMPORTS" || die "sid: the packages do not import in the root"
  chroot "$tmp" /opt/v/bin/py-spy --version
  chroot "$tmp" /opt/v/bin/python -m pip freeze >"$rt/sid.freeze.txt"
  cat "$rt/sid.freeze.txt"
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages "$tmp"/root/.cache/pip
  safe_rm "$rt/sid"
  mv "$tmp" "$rt/sid"
  # Line 2 identifies this build: the docker images record it and are re-imported when it changes.
  printf '%s\n%s\n%s\n' "$spec" "$(date -u +%Y%m%dT%H%M%SZ)" "$(chroot "$rt/sid" /opt/v/bin/python -V 2>&1)" \
    >"$rt/sid.ready"
  chroot "$rt/sid" /opt/v/bin/python -c 'import fastapi, uvicorn, uvloop'
}

dockerd_ours() { # prints the pid of the dockerd this script started, when it runs
  local pid
  [[ -f "$dockerd_pidfile" ]] || return 1
  pid="$(cat "$dockerd_pidfile" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--pidfile $dockerd_pidfile" || return 1
  echo "$pid"
}

# Installs docker.io when dockerd is missing; starts dockerd (no bridge, no iptables) when no daemon answers.
build_docker_daemon() {
  need_root docker
  lock_component docker
  command -v docker >/dev/null && docker info >/dev/null 2>&1 && return 0
  start_log docker-daemon
  if ! command -v dockerd >/dev/null; then
    apt_install docker.io
    hash -r
  fi
  command -v dockerd >/dev/null || die "docker: dockerd missing after apt-get install docker.io"
  command -v docker >/dev/null || die "docker: the docker client is missing"
  mkdir -p "$rt/docker"
  if ! dockerd_ours >/dev/null; then
    echo "starting dockerd ${DOCKERD_FLAGS[*]} (log: $dockerd_log)"
    rm -f "$dockerd_pidfile"
    # Detached (own session, no inherited fds: the lock on 9, our caller's stdout) so it outlives this script.
    setsid dockerd "${DOCKERD_FLAGS[@]}" --pidfile "$dockerd_pidfile" </dev/null >>"$dockerd_log" 2>&1 9>&- 8>&- &
  fi
  local i
  for ((i = 0; i < 120; i++)); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || {
    tail -n 30 "$dockerd_log" >&2 || true
    die "docker: dockerd did not answer within 60 s (log: $dockerd_log)"
  }
  docker version
}

import_image() { # tag comment tar-options...
  local tag="$1" comment="$2" old
  shift 2
  image_ok "$tag" && return 0
  old="$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  echo "importing $tag"
  tar -C "$rt/sid" --numeric-owner "$@" -c . | docker import -m "$comment" - "$tag"
  # The image the tag pointed to before (an older sid root) is now untagged: drop it unless a container uses it.
  if [[ -n "$old" && "$old" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]]; then
    docker rmi "$old" >/dev/null 2>&1 || echo "kept the previous $tag image $old (in use)"
  fi
}

build_docker_images() {
  local want
  lock_component docker
  ready docker && return 0
  start_log docker-images
  docker info >/dev/null 2>&1 || die "docker: no daemon answers"
  [[ -f "$rt/sid.ready" ]] || die "docker: the sid root is not built"
  want="sid-build=$(sid_build_id)"
  import_image "$IMAGE" "$want"
  import_image "$IMAGE_NOPYSPY" "$want" --exclude=./opt/v/bin/py-spy
  docker run --rm --network host "$IMAGE" /opt/v/bin/python -c 'import uvicorn'
  docker run --rm --network host "$IMAGE" /opt/v/bin/py-spy --version
  docker run --rm --network host "$IMAGE_NOPYSPY" /bin/sh -c '! test -e /opt/v/bin/py-spy' ||
    die "docker: $IMAGE_NOPYSPY still has /opt/v/bin/py-spy"
  docker run --rm --network host "$IMAGE_NOPYSPY" /opt/v/bin/python -c 'import uvicorn'
  image_ok "$IMAGE" && image_ok "$IMAGE_NOPYSPY" || die "docker: the images do not carry '$want'"
}

# ---------------------------------------------------------------- main
mkdir -p "$rt" "$locks" "$logs"
pyenv_root >/dev/null # resolve once, in this shell (the builders' subshells inherit it)

if [[ $rebuild == 1 ]]; then
  for c in "${selected[@]}"; do
    case "$c" in
    py3.*) (lock_component "$c"; rm -f "$rt/$c/.ready") ;;
    pyspy) (lock_component pyspy; rm -f "$rt"/pyspy/*/.ready) ;;
    sid) (lock_component sid; rm -f "$rt/sid.ready") ;;
    docker) ;; # the images follow the sid root's build id: a rebuilt root is re-imported
    esac
  done
fi

join() { # separator item...
  local sep="$1" out=""
  shift
  for x in "$@"; do out+="${out:+$sep}$x"; done
  echo "$out"
}

summary() { # built-now-info
  local parts=() c
  for c in "${selected[@]}"; do
    case "$c" in
    py3.*) parts+=("$c($(sed -n '2p' "$rt/$c/.ready" 2>/dev/null | awk '{print $2}'))") ;;
    pyspy) parts+=("pyspy($(join , "${PYSPY_VERSIONS[@]}"))") ;;
    sid) parts+=("sid($(sed -n '3p' "$rt/sid.ready" 2>/dev/null | awk '{print $2}'))") ;;
    docker) parts+=("docker(${IMAGE#*:},${IMAGE_NOPYSPY#*:})") ;;
    esac
  done
  local line="ready: ${parts[*]}"
  [[ -n "$1" ]] && line+="; built now: $1"
  [[ $quiet == 1 ]] || log "$line"
}

todo=()
for c in "${selected[@]}"; do ready "$c" || todo+=("$c"); done
if [[ ${#todo[@]} -eq 0 ]]; then
  summary ""
  echo "$rt"
  exit 0
fi

run_dir="$(mktemp -d)"
trap 'rm -rf "$run_dir"' EXIT
max_jobs="${RUNTIMES_JOBS:-4}"
[[ "$max_jobs" =~ ^[1-9][0-9]*$ ]] || die "RUNTIMES_JOBS must be a positive number"
log "building ${todo[*]} (logs: $logs)"

declare -A job_start
# Runs one builder in the background (at most $max_jobs at once); records its exit code, its end time and
# (the builder touches $built_marker) whether it did the work or found it done by another caller.
spawn() { # name fn args...
  local name="$1"
  shift
  while (($(jobs -rp | wc -l) >= max_jobs)); do wait -n || true; done
  job_start[$name]=$SECONDS
  (
    set +e
    built_marker="$run_dir/$name.built"
    (
      set -e
      "$@"
    ) >"$run_dir/$name.out" 2>&1
    echo $? >"$run_dir/$name.rc"
    echo $SECONDS >"$run_dir/$name.end"
  ) &
}

# Longest first: the sid root (debootstrap), dockerd (apt), then the venvs and py-spy.
todo_has() { [[ " ${todo[*]} " == *" $1 "* ]]; }
todo_has sid && spawn sid build_sid
todo_has docker && spawn docker-daemon build_docker_daemon
for c in "${todo[@]}"; do
  case "$c" in
  py3.*) spawn "$c" build_venv "${c#py}" ;;
  pyspy) spawn pyspy build_pyspy ;;
  esac
done
wait

failed=()
built=()
report_job() { # name
  local n="$1" rc
  rc="$(cat "$run_dir/$n.rc" 2>/dev/null || echo 1)"
  if [[ "$rc" != 0 ]]; then
    failed+=("$n")
    if [[ -f "$run_dir/$n.built" ]]; then
      log "$n failed (exit $rc); last lines of its log $logs/$n.log:"
      tail -n 25 "$logs/$n.log" >&2
    else
      log "$n failed (exit $rc):"
    fi
    if [[ -s "$run_dir/$n.out" ]]; then tail -n 25 "$run_dir/$n.out" >&2; fi
  elif [[ -f "$run_dir/$n.built" ]]; then
    built+=("$n $(($(cat "$run_dir/$n.end") - ${job_start[$n]}))s")
  fi
}
for n in "${!job_start[@]}"; do report_job "$n"; done

# The images need both the sid root and the daemon.
if todo_has docker && [[ " ${failed[*]} " != *" sid "* && " ${failed[*]} " != *" docker-daemon "* ]]; then
  spawn docker-images build_docker_images
  wait
  report_job docker-images
fi

[[ ${#failed[@]} -eq 0 ]] || die "failed: ${failed[*]} (logs in $logs)"
for c in "${selected[@]}"; do ready "$c" || die "$c is still not ready after building (logs in $logs)"; done
summary "$(join ', ' "${built[@]}")"
echo "$rt"
