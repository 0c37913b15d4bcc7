/**
 * Errors of walking the paths given to `backend-hang check` (the walk itself: src/config/fileWalk.ts).
 */

/** A path that could not be read. */
export class PathError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'PathError';
  }
}

/** Words for a failed fs call (ENOENT, EACCES, ...). */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether `file` is a type stub (`*.pyi`): never imported or run, so it can hold no hang. Its bodies (some
 * packages generate stubs with the code copied in, as gradio does) get no findings, in the CLI or the editor.
 */
export const isStub = (file: string): boolean => /\.pyi$/i.test(file);
