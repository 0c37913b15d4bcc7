/** Pure: decide whether a frame's file is library code (stdlib, site-packages, native) or the user's. */

/**
 * Top-level names of the Python 3.11 standard library (`sys.stdlib_module_names`, public part).
 * Used for text dumps, whose short file names (`threading.py`, `asyncio/events.py`) lose the install prefix.
 */
const STDLIB = new Set(
  `
__future__ _aix_support _bootsubprocess _collections_abc _compat_pickle _markupbase _osx_support
_pydecimal _pyio _sitebuiltins _strptime _threading_local _weakrefset abc aifc antigravity argparse
array ast asynchat asyncio asyncore atexit audioop base64 bdb binascii bisect builtins bz2 cProfile
calendar cgi cgitb chunk cmath cmd code codecs codeop collections colorsys compileall concurrent
configparser contextlib contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm
decimal difflib dis distutils doctest email encodings ensurepip enum errno faulthandler fcntl
filecmp fileinput fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob
graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib inspect io
ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal math
mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path
numbers opcode operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil
platform plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc
pydoc_data pyexpat queue quopri random re readline reprlib resource rlcompleter runpy sched secrets
select selectors shelve shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd
sqlite3 sre_compile sre_constants sre_parse ssl stat statistics string stringprep struct subprocess
sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib tempfile termios textwrap this
threading time timeit tkinter token tokenize tomllib trace traceback tracemalloc tty turtle
turtledemo types typing unicodedata unittest urllib uu uuid venv warnings wave weakref webbrowser
winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo
`
    .trim()
    .split(/\s+/),
);

/**
 * Third-party packages common in uvicorn backends. Only consulted for text dumps (short file names);
 * `--json` dumps carry absolute paths and are classified by their site-packages prefix instead.
 */
const COMMON_PACKAGES = new Set(
  `uvicorn gunicorn hypercorn uvloop starlette fastapi anyio sniffio sse_starlette click h11 h2 httptools
  websockets wsproto watchfiles requests urllib3 idna certifi charset_normalizer httpx httpcore aiohttp
  pydantic pydantic_core sqlalchemy asyncpg psycopg psycopg2 redis celery kombu boto3 botocore flask
  django werkzeug jinja2 grpc google typing_extensions dotenv yaml orjson ujson multipart`
    .trim()
    .split(/\s+/),
);

/**
 * True when `file` (absolute, as in `--json`, or short, as in text dumps) is not the user's code.
 * Native frames (no `.py`) count as library.
 */
export function isLibraryFile(file: string): boolean {
  const f = file.replace(/\\/g, '/');
  if (f.startsWith('<')) return true; // <frozen importlib._bootstrap>, <string>
  if (!/\.pyw?$/.test(f)) return true; // native: libc.so.6, selectmodule.c, console scripts (`uvicorn`)
  if (/\/(site|dist)-packages\//.test(f)) return true;
  if (/\/lib\/(python|pypy)\d+(\.\d+)?t?\//.test(f) || /\/Lib\//.test(f)) return true;
  if (f.startsWith('/')) return false; // absolute and outside any Python install: the user's
  const top = f.split('/')[0].replace(/\.pyw?$/, '');
  return STDLIB.has(top) || COMMON_PACKAGES.has(top);
}
