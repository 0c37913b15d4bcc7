/**
 * The static check of a hot line's file, BHD007 included: a sync helper's blocking call is reported where async
 * code calls it, which needs the file's path and its project (modules resolve from its roots). One project
 * index per set of roots, kept for the process (it re-reads a file only when its text changed).
 */
import type { Finding } from '../diagnostics/types';
import type { ProjectIndex } from '../diagnostics/callGraph/projectIndex';

const projects = new Map<string, ProjectIndex>();

/** `backend-hang check`'s findings for `source`; with `file`, BHD007 chains across its project too. */
export async function checkWithChains(source: string, file?: string): Promise<Finding[]> {
  const { checkSource } = await import('../diagnostics/analyze');
  if (!file) return checkSource(source);
  const { ProjectIndex } = await import('../diagnostics/callGraph/projectIndex');
  const { rootsForFiles } = await import('../diagnostics/callGraph/roots');
  const roots = rootsForFiles([file]);
  const key = roots.join('\0');
  let project = projects.get(key);
  if (!project) {
    project = new ProjectIndex({ roots });
    projects.set(key, project);
  }
  return checkSource(source, { project, file });
}
