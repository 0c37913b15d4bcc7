/**
 * What BHD007's text gates read of a module (./nameReach builds it once per module): its code with strings and
 * comments blanked, its def and class blocks, imports and bases, and what is derived from them on demand.
 */
import type { Block } from './defBlocks';
import type { ImportSource } from './textImports';
import type { BlockingText } from './blockingText';

export interface ModuleText {
  /** Whether the module's text has a blocking operation's tokens (asked when `blocks` is undefined). */
  direct: () => boolean;
  /** Where, block by block, a blocking operation can be (./blockingText). */
  blocking: BlockingText;
  code: string;
  /** Undefined: indentation not trusted (the module-level answer then). */
  blocks: Map<string, Block[]> | undefined;
  imports: Map<string, ImportSource[]>;
  stars: ImportSource[];
  /** Bases of its classes imported by name (an inherited method may be there). */
  bases: string[];
  /** Names bound to an instance of a class, in any scope (./instances: a superset of what the call graph types). */
  instances: () => Map<string, string[]>;
  /** Those another module's code can call methods of (./instances moduleInstanceMap). */
  moduleInstances: () => Map<string, string[]>;
  /** Attributes of `self` bound to an instance, and class-body fields (./instances attributeMap). */
  attributes: () => Map<string, string[]>;
}

/**
 * Where a star import may bring `n` from (`from .models import *` as `from .models import n`): for a name the
 * module does not import by name (a superset: also one it defines, perhaps only as a method or nested def; a
 * star module that does not have it answers no, ./nameReach named).
 */
export function starSources(text: ModuleText, n: string): ImportSource[] {
  if (text.stars.length === 0) return [];
  return text.stars.map(([module, level]) => [module, level, n]);
}
