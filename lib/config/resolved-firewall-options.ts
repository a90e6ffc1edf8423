import type { FirewallRules } from '../http/request-firewall.js';
import { MicrokubesOptionsError } from './microkubes-options.error.js';
import { isObject, optionalBoolean, rejectUnknown } from './option-checks.js';

const RULES: Array<keyof FirewallRules> = [
  'allowEncodedSlash', 'allowBackslash', 'allowEncodedPeriod', 'allowEncodedPercent',
  'allowDotSegments', 'allowEmptySegments', 'allowSemicolon', 'allowControlCharacters',
];

/** `security.firewall`: every rule on by default; undefined when `false` turns the firewall off. */
export function resolveFirewallOptions(given: unknown): FirewallRules | undefined {
  if (given === false) return undefined;
  const options = given ?? {};
  if (!isObject(options)) throw new MicrokubesOptionsError('security.firewall', 'must be an object of allow* options, or false');
  rejectUnknown(options, RULES, 'security.firewall.');
  const rules = {} as FirewallRules;
  for (const rule of RULES) {
    rules[rule] = optionalBoolean((options as Record<string, unknown>)[rule], `security.firewall.${rule}`) ?? false;
  }
  return rules;
}
