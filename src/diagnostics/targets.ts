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

export const TIME_SLEEP = 'time.sleep';

/** Every qualified name a call can resolve to for a rule to look at it. */
export const TARGETS: ReadonlySet<string> = new Set([
  ...EXECUTOR_CLASSES,
  ...CF_WAITS.keys(),
  ...REQUESTS_FUNCTIONS,
  ...SESSION_CLASSES,
  TIME_SLEEP,
]);
