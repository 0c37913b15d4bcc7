/**
 * The shapes every fix module shares (pure, types only): a text edit, a rule's rewrite or the reason it does
 * not apply, a code action, and the options fixes depend on. A leaf of src/codeActions: the fix modules
 * (callFixes, executorFix, toThreadFix, imports) take these from here, not from ./fixes, which imports them;
 * test/unit/importCycles.test.ts keeps the folder's import graph acyclic.
 */
import type { RuleCode } from '../diagnostics/types';
import type { Applicability } from './applicability';
import type { PythonVersion } from './pythonVersion';

/** Replace `[start, end)` (UTF-16 offsets into the source) with `newText`. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

/**
 * Either edits to apply or the reason no fix is offered (shown to the user). A rewrite may declare its own
 * applicability (else its rule's default holds, see ./applicability) and the names whose uses it removes (their
 * imports are dropped when nothing else uses them).
 */
export type Rewrite =
  | {
      edits: TextEdit[];
      name: string;
      applicability?: Applicability;
      /** Why it is unsafe, when it declares itself unsafe. */
      unsafeBecause?: string;
      removesUseOf?: string[];
    }
  | { reason: string };

/** One code action: all its edits are applied together (one undo step in the editor). */
export interface FixAction {
  title: string;
  code: RuleCode;
  /** The main fix of the finding (at most one per finding); fix-all applies only these. */
  preferred: boolean;
  /** 'fix' rewrites the code; 'suppress' adds a `# noqa` comment. */
  kind: 'fix' | 'suppress';
  edits: TextEdit[];
  /**
   * Set (with no edits) when the rule's main fix cannot be applied to this shape: why not, in words for the
   * user (the editor shows it as a disabled action, `check --fix` prints it). Never preferred.
   */
  disabled?: string;
  /** 'safe': keeps what the code does (fix-all and `--fix` apply it); 'unsafe': only on explicit request. */
  applicability: Applicability;
  /** Why the fix is unsafe (set when it is). */
  unsafeBecause?: string;
  /** Names whose uses the fix removes (an import left unused by several fixes is dropped by fixAll). */
  removesUseOf?: string[];
}

/** What the fixes depend on besides the code itself. */
export interface FixOptions {
  /** Target Python: below 3.9 there is no `shutdown(cancel_futures=...)`. */
  pythonVersion: PythonVersion;
  /** The timeout the BHD005 fix adds. */
  httpTimeoutSeconds: number;
  /** The file's line terminator; inserted lines use it. */
  eol: '\n' | '\r\n';
  /** The file's indentation unit (used where the code around a fix does not show one). */
  indent: string;
  /** Told why a fix is not offered (e.g. the result would not parse). */
  log?: (message: string) => void;
  /** The file is test code (see isTestFile): no fix is safe there. */
  testFile?: boolean;
  /** Internal (confirmFixable, fixAll): only the preferred fix, its edits not yet checked to parse. */
  mainOnly?: boolean;
}
