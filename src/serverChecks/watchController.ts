/**
 * Glue: the Watch status-bar item. Polls the health URL, shows the latency, turns to a warning when a probe
 * is slower than the threshold (already while it is in flight) and to an error when the server stops
 * answering — and then captures the stacks at once, before anyone restarts the server and the evidence is
 * gone, records the capture in the Checks view and notifies "Server hung: ... at file:line" with Show / Fix.
 */
import * as vscode from 'vscode';
import { log } from '../log';
import { hangMessage, readServerSettings, type ChecksController } from './checksController';
import { type CheckRun } from './checksStore';
import { findListener } from './listener';
import { probe } from './probe';
import { captureIfPossible, lookUpListener, primaryCapture } from './triage';
import type { ProbeResult, TriageResult } from './types';
import { formatMs, statusText, WatchMachine, type WatchState } from './watchState';

/** Arguments of `backendHang.watch.start` (tests); settings fill the rest. */
export interface WatchArgs {
  url?: string;
  healthPath?: string;
  intervalMs?: number;
  thresholdMs?: number;
  timeoutMs?: number;
}

/** What `backendHang.watch.state` returns (tests, and anyone scripting the watch). */
export interface WatchSnapshot {
  running: boolean;
  url?: string;
  healthPath?: string;
  state?: WatchState;
  text: string;
  /** The newest automatic capture: when the first unanswered probe was sent, and when the capture was done. */
  lastCapture?: {
    runId: number;
    hungSince: number;
    capturedAt: number;
    blockingCall?: string;
    file?: string;
    line?: number;
  };
}

/** One running watch. */
interface Session {
  url: string;
  healthPath: string;
  intervalMs: number;
  thresholdMs: number;
  timeoutMs: number;
  autoCapture: boolean;
  machine: WatchMachine;
  abort: AbortController;
  captured: boolean;
}

/** Owns the status-bar item and the watch loop. */
export class WatchController implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'backendHang.watch',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly disposables: vscode.Disposable[] = [];
  private session: Session | undefined;
  private lastCapture: WatchSnapshot['lastCapture'];

  constructor(private readonly checks: ChecksController) {
    this.item.name = 'Backend Hang Watch';
    this.disposables.push(
      this.item,
      vscode.commands.registerCommand('backendHang.watch.start', (a?: WatchArgs) => this.start(a)),
      vscode.commands.registerCommand('backendHang.watch.stop', () => this.stop()),
      vscode.commands.registerCommand('backendHang.watch.toggle', () =>
        this.session ? this.stop() : this.start(),
      ),
      vscode.commands.registerCommand('backendHang.watch.state', () => this.snapshot()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('backendHang.watch') || e.affectsConfiguration('backendHang.server'))
          void this.onSettings();
      }),
    );
    this.render();
    if (readServerSettings().watch.enabled) void this.start({}, true);
  }

  /** Starts watching (the URL from the argument, the setting, or the listening uvicorn). */
  async start(a: WatchArgs = {}, automatic = false): Promise<WatchSnapshot> {
    const settings = readServerSettings();
    const url = await this.checks.pickUrl(
      a.url,
      'Backend Hang: Watch Server',
      !a.url && !automatic && !settings.url,
    );
    if (!url) {
      if (!automatic && !a.url) log.info('watch: no server URL chosen');
      return this.snapshot();
    }
    this.stopSession();
    const s: Session = {
      url,
      healthPath: a.healthPath ?? settings.healthPaths[0] ?? '/health',
      intervalMs: a.intervalMs ?? settings.watch.intervalMs,
      thresholdMs: a.thresholdMs ?? settings.watch.thresholdMs,
      timeoutMs: a.timeoutMs ?? settings.watch.timeoutMs,
      autoCapture: settings.watch.autoCapture,
      machine: new WatchMachine(a.thresholdMs ?? settings.watch.thresholdMs),
      abort: new AbortController(),
      captured: false,
    };
    this.session = s;
    void vscode.commands.executeCommand('setContext', 'backendHang.watching', true);
    log.info(
      `watch: ${url}${s.healthPath} every ${s.intervalMs} ms (slow > ${s.thresholdMs} ms, hung > ${s.timeoutMs} ms)`,
    );
    this.render();
    void this.loop(s);
    return this.snapshot();
  }

  /** Stops watching. */
  stop(): WatchSnapshot {
    if (this.session) log.info(`watch: stopped ${this.session.url}`);
    this.stopSession();
    this.render();
    return this.snapshot();
  }

  private stopSession(): void {
    this.session?.abort.abort();
    this.session = undefined;
    void vscode.commands.executeCommand('setContext', 'backendHang.watching', false);
  }

  private async onSettings(): Promise<void> {
    const w = readServerSettings().watch;
    if (w.enabled && !this.session) await this.start({}, true);
  }

  /** The poll loop of one session; ends when the session is stopped or replaced. */
  private async loop(s: Session): Promise<void> {
    while (this.session === s && !s.abort.signal.aborted) {
      const sentAt = Date.now();
      // While the probe is in flight, tick so a slow answer shows as a warning before it arrives.
      const ticker = setInterval(() => {
        s.machine.waiting(Date.now() - sentAt);
        this.render();
      }, 250);
      let p: ProbeResult;
      try {
        p = await probe(s.url, s.healthPath, { timeoutMs: s.timeoutMs, signal: s.abort.signal });
      } finally {
        clearInterval(ticker);
      }
      if (this.session !== s || s.abort.signal.aborted) return;
      const step = s.machine.result(p, sentAt);
      if (step.state.level !== 'hung') s.captured = false;
      this.render();
      if (step.capture && s.autoCapture) await this.captureHang(s, p);
      const wait = s.intervalMs - (Date.now() - sentAt);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** The server stopped answering: capture now, record it, notify. */
  private async captureHang(s: Session, p: ProbeResult): Promise<void> {
    const started = performance.now();
    const found = await lookUpListener(s.url, (port) => findListener(port));
    const captured = await captureIfPossible(found.listener, this.checks.capture);
    if (this.session !== s) return;
    s.captured = captured.captures.length > 0;
    const capture = primaryCapture(captured.captures);
    const result: TriageResult = {
      kind: 'triage',
      url: s.url,
      verdict: 'hung',
      probes: [p],
      listener: found.listener,
      ...(found.note ? { listenerNote: found.note } : {}),
      ...(capture ? { capture } : {}),
      captures: captured.captures,
      captureFailures: captured.failures,
      startedAt: new Date(Date.now() - p.ms).toISOString(),
      durationMs: Math.round(p.ms + performance.now() - started),
    };
    const run = this.checks.store.add(result, {
      kind: 'watch',
      url: s.url,
      healthPaths: [s.healthPath],
      timeoutMs: s.timeoutMs,
    });
    const finding = capture?.capture.findings[0];
    this.lastCapture = {
      runId: run.id,
      hungSince: s.machine.state.hungSince ?? Date.now(),
      capturedAt: Date.now(),
      ...(finding ? { blockingCall: finding.blockingCall } : {}),
      ...(finding?.frame ? { file: finding.frame.file, line: finding.frame.line } : {}),
    };
    log.warn(
      `watch: ${s.url}${s.healthPath} stopped answering; captured ${captured.captures.length} process(es) ` +
        `${((this.lastCapture.capturedAt - this.lastCapture.hungSince) / 1000).toFixed(1)} s after the first unanswered probe was sent` +
        (captured.failures.length ? `; failures: ${captured.failures.map((f) => f.message).join('; ')}` : ''),
    );
    this.render();
    void this.notifyHang(run);
  }

  private async notifyHang(run: CheckRun): Promise<void> {
    const loc = run.items.find((i) => i.location)?.location;
    const failure = run.result.captureFailures[0];
    const msg =
      failure && !loc ? `Server hung; the stack capture failed: ${failure.message}` : hangMessage(run);
    const choice = await vscode.window.showErrorMessage(
      `Backend Hang: ${msg}`,
      ...(loc ? ['Show', 'Fix'] : ['Show']),
    );
    if (choice === 'Show') await this.checks.show(run);
    if (choice === 'Fix' && loc) await this.checks.fixAt(loc);
  }

  private render(): void {
    const s = this.session;
    const item = this.item;
    if (!s) {
      item.text = '$(eye) Watch';
      item.tooltip =
        'Backend Hang: watch the server for hangs (captures the stacks when it stops answering). Click to start.';
      item.backgroundColor = undefined;
      item.command = 'backendHang.watch.start';
    } else {
      const st = s.machine.state;
      item.text = statusText(st, s.captured);
      const level = st.level;
      item.backgroundColor =
        level === 'slow'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : level === 'hung' || level === 'down' || level === 'error'
            ? new vscode.ThemeColor('statusBarItem.errorBackground')
            : undefined;
      const what: Record<WatchState['level'], string> = {
        starting: 'first probe on its way',
        ok: `answers in ${formatMs(st.lastMs ?? 0)}`,
        slow: `slow: ${formatMs(st.lastMs ?? 0)} (threshold ${s.thresholdMs} ms)`,
        hung: `no answer within ${formatMs(s.timeoutMs)}${s.captured ? ' — stacks captured (see the Checks view)' : ''}`,
        down: 'nothing answers (connection refused)',
        error: `answers with an error (${st.lastStatus ?? 'reset'})`,
      };
      item.tooltip = `Backend Hang: watching ${s.url}${s.healthPath} every ${formatMs(s.intervalMs)}: ${what[level]}. Click to stop.`;
      item.command = 'backendHang.watch.stop';
    }
    item.show();
  }

  /** Plain-data state (tests). */
  snapshot(): WatchSnapshot {
    const s = this.session;
    return {
      running: Boolean(s),
      ...(s ? { url: s.url, healthPath: s.healthPath, state: { ...s.machine.state } } : {}),
      text: this.item.text,
      ...(this.lastCapture ? { lastCapture: this.lastCapture } : {}),
    };
  }

  dispose(): void {
    this.stopSession();
    for (const d of this.disposables) d.dispose();
  }
}
