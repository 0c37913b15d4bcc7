/**
 * The probe run inside a container with the container's own Python (`docker exec NAME python3 -c PROBE`):
 * lists its processes from /proc (no `ps` needed in the image) and, for each, the py-spy executables beside
 * it (its interpreter's bin/, its $VIRTUAL_ENV, PATH, a copy this tool put in /tmp). Fixed code, no input
 * interpolated: arguments reach it as argv, never as shell text. Runs on Python 3.6+.
 */
export const COPIED_PYSPY = '/tmp/backend-hang-py-spy';

export const DOCKER_PROBE = `
import json, os, shutil, sys
def near(pid, argv):
    out = []
    dirs = []
    if argv and argv[0].startswith('/'):
        dirs.append(os.path.dirname(argv[0]))
    try:
        env = open('/proc/%s/environ' % pid, 'rb').read().split(b'\\0')
        for e in env:
            if e.startswith(b'VIRTUAL_ENV='):
                dirs.append(os.path.join(e[12:].decode('utf-8', 'replace'), 'bin'))
    except OSError:
        pass
    dirs.append(os.path.dirname(sys.executable))
    for d in dirs:
        p = os.path.join(d, 'py-spy')
        if os.access(p, os.X_OK) and p not in out:
            out.append(p)
    w = shutil.which('py-spy')
    if w and w not in out:
        out.append(w)
    if os.access('${COPIED_PYSPY}', os.X_OK):
        out.append('${COPIED_PYSPY}')
    return out
procs = []
for e in os.listdir('/proc'):
    if not e.isdigit():
        continue
    try:
        argv = [a.decode('utf-8', 'replace') for a in open('/proc/%s/cmdline' % e, 'rb').read().split(b'\\0') if a]
        if not argv:
            continue
        stat = open('/proc/%s/stat' % e).read()
        ppid = int(stat[stat.rindex(')') + 2:].split()[1])
        def link(name):
            try:
                return os.readlink('/proc/%s/%s' % (e, name))
            except OSError:
                return ''
        procs.append({'pid': int(e), 'ppid': ppid, 'argv': argv, 'cwd': link('cwd'), 'exe': link('exe'), 'pyspy': near(e, argv)})
    except (OSError, ValueError):
        pass
print(json.dumps({'python': sys.version.split()[0], 'processes': procs}))
`;
