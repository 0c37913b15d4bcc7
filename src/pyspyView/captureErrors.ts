/**
 * Glue: every way a capture can fail, turned into an action the person can take: install or upgrade py-spy,
 * point at one, attach with sudo, copy py-spy into a container, add SYS_PTRACE, pick another process.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContainerPtraceError, ContainerPySpyMissingError, DockerError } from '../captureSources/docker';
import { captureFromText } from '../captureSources/dumpFile';
import { sudoDumpArgs } from '../captureSources/sudoCapture';
import { checkSource } from '../diagnostics/analyze';
import { log } from '../log';
import { PySpyNotLocatedError } from './captureProcess';
import type { Capture } from './captureStore';
import { parseDump } from './dumpParser';
import {
  dumpArgs,
  NotPythonError,
  ProcessGoneError,
  PySpyCancelledError,
  PySpyError,
  PySpyNotFoundError,
  PySpyPermissionError,
  PySpyTimeoutError,
  PySpyUnsupportedPythonError,
  runPySpy,
  UnparseableDumpError,
} from './runner';
import type { ProcessCandidate } from './types';

/** Adds a capture made outside the pipeline (the sudo path) to the view. */
export type AddRawCapture = (
  target: Partial<ProcessCandidate> & { pid: number },
  dump: Capture['dump'],
  raw: string,
  capturedAt: Date,
) => Capture;

export class CaptureErrorActions {
  /** Set by the caller before reportError: captures the same container again, copying py-spy in. */
  retryWithCopy?: () => void;

  constructor(private readonly addCapture: AddRawCapture) {}

  async offerInstall(interpreter: string | undefined, why: string): Promise<void> {
    const install = interpreter
      ? `Install into ${path.basename(path.dirname(path.dirname(interpreter)))}`
      : undefined;
    const choice = await vscode.window.showErrorMessage(
      why,
      ...(install ? [install] : []),
      'Set Path',
      'Show Logs',
    );
    if (choice === install && interpreter) {
      // A visible task with an argument array (no shell string): `python -m pip install py-spy`.
      const task = new vscode.Task(
        { type: 'process', task: 'install py-spy' },
        vscode.TaskScope.Workspace,
        'Install py-spy',
        'Backend Hang',
        new vscode.ProcessExecution(interpreter, ['-m', 'pip', 'install', 'py-spy']),
      );
      void vscode.tasks.executeTask(task);
    } else if (choice === 'Set Path') {
      void this.setPySpyPath();
    } else if (choice === 'Show Logs') {
      log.show();
    }
  }

  /** py-spy too old for the target's Python: upgrade it where it came from (its venv's pip), or show how. */
  private async offerUpgrade(err: PySpyUnsupportedPythonError): Promise<void> {
    const pip = path.join(path.dirname(err.pyspyPath), 'python');
    const canUpgrade = path.isAbsolute(err.pyspyPath) && existsSync(pip) && vscode.workspace.isTrusted;
    const choice = await vscode.window.showErrorMessage(
      err.message,
      ...(canUpgrade ? ['Upgrade py-spy'] : []),
      'Set Path',
      'Show Logs',
    );
    if (choice === 'Upgrade py-spy') {
      const task = new vscode.Task(
        { type: 'process', task: 'upgrade py-spy' },
        vscode.TaskScope.Workspace,
        'Upgrade py-spy',
        'Backend Hang',
        new vscode.ProcessExecution(pip, ['-m', 'pip', 'install', '--upgrade', 'py-spy']),
      );
      void vscode.tasks.executeTask(task);
    } else if (choice === 'Set Path') {
      void this.setPySpyPath();
    } else if (choice === 'Show Logs') {
      log.show();
    }
  }

  /**
   * "Set Path": a file picker that writes the machine-scoped setting to the user settings (a machine setting
   * cannot live in the workspace, and opening the Settings UI on it showed "No Settings Found" remotely).
   */
  async setPySpyPath(): Promise<string | undefined> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Select the py-spy executable',
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      openLabel: 'Use this py-spy',
    });
    const file = picked?.[0]?.fsPath;
    if (!file) return undefined;
    await vscode.workspace
      .getConfiguration('backendHang')
      .update('pyspy.path', file, vscode.ConfigurationTarget.Global);
    void vscode.window.setStatusBarMessage(`backendHang.pyspy.path = ${file}`, 5000);
    return file;
  }

  async onPermissionError(
    err: PySpyPermissionError,
    pyspy: string,
    target: Partial<ProcessCandidate> & { pid: number },
    runOpts: { timeoutMs: number; locals?: boolean; native?: boolean; nonblocking?: boolean },
    capturedAt: Date,
    silent?: boolean,
  ): Promise<Capture | undefined> {
    log.warn(`${err.message}\n${err.stderr}`);
    if (silent) throw err;
    const choice = await vscode.window.showErrorMessage(
      `${err.message} Same-user attach is blocked when /proc/sys/kernel/yama/ptrace_scope is 2 or 3.`,
      'Run with sudo -n',
      'Run in Terminal with sudo',
      'Show Logs',
    );
    const args = dumpArgs(target.pid, runOpts);
    if (choice === 'Run with sudo -n') {
      try {
        // -n: never prompt; when a password is needed sudo fails at once and we offer the terminal instead.
        const { stdout } = await runPySpy('sudo', ['-n', pyspy, ...args], { timeoutMs: runOpts.timeoutMs });
        return this.addCapture(target, parseDump(stdout, target.pid), stdout, capturedAt);
      } catch (sudoErr) {
        log.warn(`sudo -n py-spy failed: ${String(sudoErr)}`);
        const again = await vscode.window.showErrorMessage(
          'sudo needs a password here. Run py-spy in a terminal instead?',
          'Run in Terminal with sudo',
        );
        if (again) this.runInTerminalWithSudo(pyspy, target.pid);
      }
    } else if (choice === 'Run in Terminal with sudo') {
      this.runInTerminalWithSudo(pyspy, target.pid);
    } else if (choice === 'Show Logs') {
      log.show();
    }
    return undefined;
  }

  /**
   * py-spy under sudo in a terminal (the password is typed there by the person, never seen or stored by the
   * extension); its JSON lands in a temporary file that is opened as a capture as soon as it is complete.
   */
  runInTerminalWithSudo(pyspy: string, pid: number): void {
    const out = path.join(os.tmpdir(), `backend-hang-sudo-${pid}-${Date.now()}.json`);
    const task = new vscode.Task(
      { type: 'process', task: 'py-spy dump (sudo)' },
      vscode.TaskScope.Workspace,
      `py-spy dump ${pid} (sudo)`,
      'Backend Hang',
      new vscode.ProcessExecution('sudo', sudoDumpArgs(pyspy, pid, out)),
    );
    void vscode.tasks.executeTask(task);
    void this.importWhenWritten(out, pid);
  }

  private async importWhenWritten(file: string, pid: number): Promise<void> {
    const deadline = Date.now() + 10 * 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      if (!existsSync(file)) continue;
      try {
        const [c] = await captureFromText(readFileSync(file, 'utf8'), {
          origin: { kind: 'process', label: `pid ${pid} (sudo)` },
          pid,
          workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
          check: (source) => Promise.resolve(checkSource(source)),
        });
        if (c) this.addCapture({ pid }, c.dump, c.raw, c.capturedAt);
      } catch (err) {
        log.warn(`sudo py-spy output in ${file} is not a dump: ${String(err)}`);
      }
      return;
    }
  }

  reportError(
    err: unknown,
    located: { path: string; interpreter?: string },
    pid: number,
    silent?: boolean,
  ): void {
    if (err instanceof PySpyError)
      log.warn(`${err.name}: ${err.message}${err.stderr ? `\n${err.stderr}` : ''}`);
    else
      log.error(
        `py-spy capture of ${pid} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    if (silent) throw err;
    if (err instanceof PySpyCancelledError) return;
    if (err instanceof ContainerPySpyMissingError) {
      void vscode.window
        .showErrorMessage(err.message, 'Copy py-spy into Container', 'Show Logs')
        .then((c) => {
          if (c === 'Copy py-spy into Container') this.retryWithCopy?.();
          else if (c === 'Show Logs') log.show();
        });
    } else if (err instanceof ContainerPtraceError) {
      void vscode.window
        .showErrorMessage(err.message, 'Copy Compose Snippet', 'Show Logs')
        .then(async (c) => {
          if (c === 'Copy Compose Snippet') {
            await vscode.env.clipboard.writeText('    cap_add:\n      - SYS_PTRACE\n');
            void vscode.window.setStatusBarMessage(
              'Copied: cap_add: [SYS_PTRACE] (paste it under the service)',
              5000,
            );
          } else if (c === 'Show Logs') log.show();
        });
    } else if (err instanceof DockerError) {
      void vscode.window.showErrorMessage(err.message, 'Show Logs').then((c) => c && log.show());
    } else if (err instanceof PySpyNotLocatedError) {
      void this.offerInstall(located.interpreter, err.message);
    } else if (err instanceof PySpyUnsupportedPythonError) {
      void this.offerUpgrade(err);
    } else if (err instanceof PySpyNotFoundError) {
      void this.offerInstall(located.interpreter, `${err.message}.`);
    } else if (err instanceof ProcessGoneError || err instanceof NotPythonError) {
      const hint =
        err instanceof ProcessGoneError
          ? ' It exited or was restarted (uvicorn --reload replaces its server process on every change).'
          : ' With --reload or --workers, dump the spawned server/worker process, not a shell or a wrapper.';
      void vscode.window
        .showErrorMessage(`${err.message}${hint}`, 'Pick Another Process', 'Show Logs')
        .then((c) => {
          if (c === 'Pick Another Process') void vscode.commands.executeCommand('backendHang.captureDump');
          else if (c === 'Show Logs') log.show();
        });
    } else if (err instanceof PySpyTimeoutError) {
      void vscode.window
        .showErrorMessage(
          `${err.message} Try again, raise backendHang.pyspy.timeoutSeconds, or enable backendHang.pyspy.nonblocking.`,
          'Open Settings',
        )
        .then(
          (c) => c && vscode.commands.executeCommand('workbench.action.openSettings', 'backendHang.pyspy'),
        );
    } else if (err instanceof UnparseableDumpError) {
      log.error(`Unparseable py-spy output:\n${err.raw}`);
      void vscode.window
        .showErrorMessage(`py-spy printed something that is not a dump (${err.message}).`, 'Show Raw Output')
        .then(async (c) => {
          if (c)
            await vscode.window.showTextDocument(
              await vscode.workspace.openTextDocument({ content: err.raw }),
            );
        });
    } else {
      void vscode.window
        .showErrorMessage(
          `py-spy capture failed: ${err instanceof Error ? err.message : String(err)}. See the log.`,
          'Show Logs',
        )
        .then((c) => c && log.show());
    }
  }
}
