/**
 * The callables the rules look for, by qualified name (pure data). Shared by the analysis (./analyze) and the
 * textual planning of whole-file checks (./regions), so both always agree on what can be a finding.
 */

/** Executor classes (BHD001 constructs one in a `with`; BHD002/BHD003 need one as evidence). */
export const EXECUTOR_CLASSES: ReadonlySet<string> = new Set([
  'concurrent.futures.ThreadPoolExecutor',
  'concurrent.futures.ProcessPoolExecutor',
  'concurrent.futures.thread.ThreadPoolExecutor',
  'concurrent.futures.process.ProcessPoolExecutor',
]);

/** concurrent.futures waits (BHD003) -> their short name. */
export const CF_WAITS: ReadonlyMap<string, string> = new Map([
  ['concurrent.futures.wait', 'wait'],
  ['concurrent.futures.as_completed', 'as_completed'],
  ['concurrent.futures._base.wait', 'wait'],
  ['concurrent.futures._base.as_completed', 'as_completed'],
]);

/** HTTP methods of requests and of a Session (BHD005/BHD006). */
export const HTTP_METHODS: readonly string[] = [
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'request',
];

export const REQUESTS_FUNCTIONS: ReadonlySet<string> = new Set(
  HTTP_METHODS.flatMap((m) => [`requests.${m}`, `requests.api.${m}`]),
);

export const SESSION_CLASSES: ReadonlySet<string> = new Set([
  'requests.Session',
  'requests.session',
  'requests.sessions.Session',
  'requests.sessions.session',
]);

/** httpx's synchronous client (BHD006 reports its request methods in async code, as Ruff's ASYNC212). */
export const HTTPX_CLIENT_CLASSES: ReadonlySet<string> = new Set(['httpx.Client', 'httpx._client.Client']);
/** Its methods that do a request on this thread. */
export const HTTPX_CLIENT_METHODS: readonly string[] = [...HTTP_METHODS, 'stream', 'send'];

export const TIME_SLEEP = 'time.sleep';

/** `asyncio.to_thread(f, *args, **kwargs)` (BHD005 reads a requests function run through it). */
export const TO_THREAD: ReadonlySet<string> = new Set(['asyncio.to_thread', 'asyncio.threads.to_thread']);

/**
 * Other synchronous HTTP calls (BHD006, as Ruff's ASYNC210): httpx's module functions (each opens a sync
 * client for the one request; `httpx.stream` too, a context manager that reads the response on this thread),
 * `urllib.request.urlopen` and urllib3's module-level `request`. No timeout rule for them: httpx has a 5 s
 * default, and `urlopen`'s would need its own fix.
 */
export const BLOCKING_HTTP_FUNCTIONS: ReadonlySet<string> = new Set([
  ...[...HTTP_METHODS, 'stream'].map((m) => `httpx.${m}`),
  'urllib.request.urlopen',
  'urllib3.request',
]);

/**
 * Calls that run a child process and wait for it to exit, or wait for one (BHD006, as Ruff's ASYNC221 and
 * ASYNC222): subprocess's run-and-wait functions, `os.system`, `os.spawn*` in `P_WAIT` mode and the `os.wait*`
 * family (not with `WNOHANG`: see ../rules/bhd006). Not `subprocess.Popen` or `os.posix_spawn`, which return
 * once the child is started.
 */
export const BLOCKING_PROCESS_FUNCTIONS: ReadonlySet<string> = new Set([
  ...['run', 'call', 'check_call', 'check_output', 'getoutput', 'getstatusoutput'].map(
    (f) => `subprocess.${f}`,
  ),
  'os.system',
  ...osSpawns(),
  ...['wait', 'waitpid', 'wait3', 'wait4', 'waitid'].map((f) => `os.${f}`),
]);

/** `os.spawnl`, `spawnle`, `spawnlp`, `spawnlpe` and the `spawnv` ones. */
function osSpawns(): string[] {
  return ['l', 'v'].flatMap((k) => ['', 'e', 'p', 'pe'].map((s) => `os.spawn${k}${s}`));
}

/** subprocess.Popen: its `communicate()` and `wait()` block until the child exits (BHD006). */
export const POPEN_CLASSES: ReadonlySet<string> = new Set(['subprocess.Popen']);
export const POPEN_METHODS: readonly string[] = ['communicate', 'wait'];

/** Every qualified name a call can resolve to for a rule to look at it. */
export const TARGETS: ReadonlySet<string> = new Set([
  ...EXECUTOR_CLASSES,
  ...CF_WAITS.keys(),
  ...REQUESTS_FUNCTIONS,
  ...SESSION_CLASSES,
  ...HTTPX_CLIENT_CLASSES,
  TIME_SLEEP,
  ...BLOCKING_HTTP_FUNCTIONS,
  ...BLOCKING_PROCESS_FUNCTIONS,
  ...POPEN_CLASSES,
  ...TO_THREAD,
]);

/** The top-level package of a qualified name (`requests.sessions.Session` -> `requests`). */
export const topModule = (qualified: string): string => qualified.split('.', 1)[0]!;

/** The top-level modules of TARGETS (`requests`, `concurrent`, `time`, `httpx`...): an import of one is kept. */
export const TARGET_MODULES: ReadonlySet<string> = new Set([...TARGETS].map(topModule));
