/**
 * Rule metadata for the editor glue, the CLI and the docs (pure): derived from the rule modules
 * (./rules/bhd00N.ts) through ./rules/registry; docs/rules/BHD00N.md hold the long form.
 */
import type { RuleCode } from './types';
import { message as bhd001 } from './rules/bhd001';
import { message as bhd002 } from './rules/bhd002';
import { resultMessage, waitMessage } from './rules/bhd003';
import { message as bhd005 } from './rules/bhd005';
import {
  httpMessage,
  httpxClientMessage,
  popenMessage,
  popenWithMessage,
  processMessage,
  requestsMessage,
  sleepMessage,
} from './rules/bhd006';
import { message as bhd007 } from './rules/bhd007';

export { DEFAULT_SEVERITY, RULE_TITLES } from './rules/registry';

/** Path of a rule's doc page relative to the repository / extension root. */
export function ruleDocPath(code: RuleCode): string {
  return `docs/rules/${code}.md`;
}

/** Messages and details, parameterised by the text the user wrote (each defined in its rule's module). */
export const MESSAGES = {
  BHD001: bhd001,
  BHD002: bhd002,
  BHD003Wait: waitMessage,
  BHD003Result: resultMessage,
  BHD005: bhd005,
  BHD006Sleep: sleepMessage,
  BHD006Requests: requestsMessage,
  BHD006Http: httpMessage,
  BHD006HttpxClient: httpxClientMessage,
  BHD006Process: processMessage,
  BHD006Popen: popenMessage,
  BHD006PopenWith: popenWithMessage,
  BHD007: bhd007,
} as const;
