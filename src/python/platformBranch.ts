/**
 * Code that runs only on a platform servers rarely are (pure): the body of `if sys.platform == "win32":`,
 * `if sys.platform.startswith("win"):`, `if os.name == "nt":`, `if platform.system() == "Windows":` (also
 * cygwin and macOS), or of an `elif` with such a test. BHD007 shows a chain through such code only when no
 * other chain blocks: a Linux server's hang is reported with a path it takes.
 */
import type { Node } from './treeSitter';

/** Whether a text can test the platform as PLATFORM_TEST reads it (a superset: then the tree is asked). */
export const mayTestPlatform = (source: string): boolean =>
  (source.includes('platform') || source.includes('name')) && MAY_TEST.test(source);

const SUBJECT = String.raw`(?:sys\s*\.\s*platform|os\s*\.\s*name|platform\s*\.\s*system\s*\(\s*\))`;
const PLATFORMS = 'win32|win|cygwin|msys|nt|darwin|Windows|Darwin';
const NOT_LINUX = String.raw`[rbuRBU]?(?:"(?:${PLATFORMS})"|'(?:${PLATFORMS})')`;
const MAY_TEST = new RegExp(SUBJECT);
/** `subject == "win32"`, `"win32" == subject`, `subject.startswith("win")`, `subject in ("win32", "cygwin")`. */
const PLATFORM_TEST = new RegExp(
  String.raw`^\(?\s*(?:${SUBJECT}\s*(?:==\s*${NOT_LINUX}|\.\s*startswith\s*\(\s*${NOT_LINUX}\s*\)|in\s*[([]\s*${NOT_LINUX}(?:\s*,\s*${NOT_LINUX})*\s*,?\s*[)\]])|${NOT_LINUX}\s*==\s*${SUBJECT})\s*\)?$`,
);

/** Whether `condition` (an `if`'s) holds only on such a platform: such a test, alone or in an `and` chain. */
export const testsOtherPlatform = (condition: string): boolean =>
  condition.split(/\s+and\s+/).some((part) => PLATFORM_TEST.test(part.trim()));

/**
 * Whether `node` lies in the body of an `if`/`elif` whose condition holds only on such a platform, looking no
 * further up than `stop` (the function holding it).
 */
export function platformOnly(node: Node, stop: Node): boolean {
  for (let child = node, n = node.parent; n && child.id !== stop.id; child = n, n = n.parent) {
    if (n.type !== 'if_statement' && n.type !== 'elif_clause') continue;
    if (n.childForFieldName('consequence')?.id !== child.id) continue;
    if (testsOtherPlatform(n.childForFieldName('condition')?.text ?? '')) return true;
  }
  return false;
}
