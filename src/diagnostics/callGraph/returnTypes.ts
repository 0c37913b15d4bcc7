/**
 * The class a module-level def returns (pure): what `x = get_service(); x.f()` calls `f` of, in async code
 * (CalleeSite.factory). Declared (`-> C`, `-> Optional[C]`, `-> "C"`: ./instances annotationClass), or, declaring
 * nothing, the one class every `return` of its body gives: `return C(...)`, a name bound there to one
 * (`svc = C(); ...; return svc`), or a module-level instance (`return news_service`). A def that may return
 * None (a bare `return`, falling off its end) or something else is not a factory. Precision first.
 */
import type { Node } from '../../python/treeSitter';
import { returnedValues } from '../factories';
import { annotationClass, classLike } from './instances';
import { dotted } from './callSites';

/** Bodies longer than this are not read for their returns (the annotation still counts). */
const MAX_BODY = 4000;

/** What `def` returns as a class written in its module (see the file comment), or undefined. */
export function returnedClass(
  def: Node,
  source: string,
  moduleInstances: ReadonlyMap<string, string>,
): string | undefined {
  const annotation = def.childForFieldName('return_type');
  if (annotation) {
    const text = source.slice(annotation.startIndex, annotation.endIndex);
    const unquoted = /^(["'])([^"'\n]*)\1$/.exec(text)?.[2] ?? text;
    const cls = annotationClass(unquoted);
    return cls !== undefined && classLike(cls) ? cls : undefined;
  }
  const body = def.childForFieldName('body');
  if (!body || body.endIndex - body.startIndex > MAX_BODY) return undefined;
  if (!/\breturn[ \t]+[A-Za-z_]/.test(source.slice(body.startIndex, body.endIndex))) return undefined;
  const values = returnedValues(def);
  if (!values || values.length === 0) return undefined;
  let found: string | undefined;
  for (const value of values) {
    const cls =
      value.type === 'call'
        ? classOfCall(value)
        : value.type === 'identifier'
          ? moduleInstances.get(value.text)
          : undefined;
    if (cls === undefined || (found !== undefined && found !== cls)) return undefined;
    found = cls;
  }
  return found;
}

/** `C(...)`, `m.C(...)`: the class constructed. */
function classOfCall(call: Node): string | undefined {
  const fn = call.childForFieldName('function');
  const name = fn ? dotted(fn) : undefined;
  return name !== undefined && classLike(name) ? name : undefined;
}
