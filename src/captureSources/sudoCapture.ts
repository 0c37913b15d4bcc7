/**
 * Pure: py-spy under sudo in a terminal, its JSON written to a file the editor then opens (macOS, where py-spy
 * always needs root, and Linux when ptrace is refused). The password is typed into the terminal by the
 * person, never seen by the extension. The shell script is fixed; py-spy's path, the pid and the output file
 * reach it as positional arguments, never as text inside it.
 */
export const SUDO_DUMP_SCRIPT = '"$0" dump --pid "$1" --json > "$2.partial" && mv "$2.partial" "$2"';

/** The argument array after `sudo`. @throws Error for a pid that is not a positive integer */
export function sudoDumpArgs(pyspy: string, pid: number, outFile: string): string[] {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`not a process id: ${pid}`);
  return ['sh', '-c', SUDO_DUMP_SCRIPT, pyspy, String(pid), outFile];
}

/** Whether captures on this OS need root from the start (py-spy on macOS). */
export function needsRootToCapture(platform = process.platform, uid = process.getuid?.()): boolean {
  return platform === 'darwin' && uid !== 0;
}
