/**
 * Pure: the commands that capture a server in a Kubernetes pod. No cluster is reachable from the product's
 * tests, so nothing here runs kubectl: the user copies the commands, runs them where kubectl works, and opens
 * the saved JSON with "Open Dump…" / `backend-hang dump --file`.
 *   - the image has py-spy: `kubectl exec` into the pod's container;
 *   - it has not: `kubectl debug --profile=sysadmin --target=CONTAINER` starts an ephemeral container that
 *     shares the target's process namespace and may ptrace it, installs py-spy there and dumps pid 1.
 */

export interface KubeTarget {
  pod: string;
  namespace?: string;
  /** The app's container in the pod (needed when the pod has several; the debug target). */
  container?: string;
  /** The server's pid inside the container (1 when the server is the entrypoint). */
  pid?: number;
  /** Image of the ephemeral debug container. */
  debugImage?: string;
}

export interface KubeCommand {
  argv: string[];
  /** The same as one line to paste into a shell, with the output saved to a file. */
  shell: string;
  note: string;
}

/** DNS-1123 names, as Kubernetes requires for pods, namespaces and containers. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** @throws Error naming the field that is not a valid Kubernetes name */
export function kubernetesCommands(t: KubeTarget): { exec: KubeCommand; debug: KubeCommand } {
  for (const [field, v] of [
    ['pod', t.pod],
    ['namespace', t.namespace],
    ['container', t.container],
  ] as const) {
    if (v !== undefined && !NAME.test(v)) throw new Error(`${field} '${v}' is not a valid Kubernetes name`);
  }
  if (t.debugImage !== undefined && !/^[\w./:@-]+$/.test(t.debugImage))
    throw new Error(`debug image '${t.debugImage}' is not an image reference`);
  const pid = String(t.pid ?? 1);
  const ns = t.namespace ? ['-n', t.namespace] : [];
  const out = `${t.pod}-dump.json`;
  const exec = [
    'kubectl',
    'exec',
    ...ns,
    t.pod,
    ...(t.container ? ['-c', t.container] : []),
    '--',
    'py-spy',
    'dump',
    '--pid',
    pid,
    '--json',
  ];
  const script = `pip install -q py-spy >&2 && py-spy dump --pid ${pid} --json`;
  const debug = [
    'kubectl',
    'debug',
    ...ns,
    t.pod,
    '-i',
    '--profile=sysadmin',
    ...(t.container ? [`--target=${t.container}`] : []),
    `--image=${t.debugImage ?? 'python:3.12-slim'}`,
    '--',
    'sh',
    '-c',
    script,
  ];
  return {
    exec: {
      argv: exec,
      shell: `${exec.map(quote).join(' ')} > ${out}`,
      note: 'When py-spy is installed in the image. Needs SYS_PTRACE in the pod (securityContext.capabilities.add: ["SYS_PTRACE"]).',
    },
    debug: {
      argv: debug,
      shell: `${debug.map(quote).join(' ')} > ${out}`,
      note: "When the image has no py-spy: an ephemeral container (Kubernetes 1.25+) sharing the target's processes, allowed to ptrace by the sysadmin profile.",
    },
  };
}
