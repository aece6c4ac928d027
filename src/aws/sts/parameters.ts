/**
 * STS request parameters: reading the query protocol's flattened lists (`PolicyArns.member.1.arn`,
 * `Tags.member.1.Key`) and checking each member's constraints from botocore's STS model, collecting every
 * violation into one `ValidationError` as AWS does (spec 1.3, 2.2, 3.1).
 * @module
 */
import type { ParameterViolation } from './faults.js';

/** The form/query parameters of one request, decoded. */
export type StsParams = Readonly<Record<string, string | undefined>>;

/** `Name.member.1`, `Name.member.2`, … (1-based) until the first gap. */
export function memberList(params: StsParams, name: string, suffix = ''): string[] {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = params[`${name}.member.${i}${suffix}`];
    if (v === undefined) return out;
    out.push(v);
  }
}

/** `Tags.member.N.Key` / `.Value` pairs. */
export function tagList(params: StsParams, name = 'Tags'): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  for (let i = 1; ; i++) {
    const key = params[`${name}.member.${i}.Key`];
    const value = params[`${name}.member.${i}.Value`];
    if (key === undefined && value === undefined) return out;
    out.push({ key: key ?? '', value: value ?? '' });
  }
}

/** The constraint of one string member. */
export interface StringRule {
  /** lowerCamelCase name in messages. */
  member: string;
  required?: boolean;
  min?: number;
  max?: number;
  /** Tested against the whole value; `patternText` is what the message shows. */
  pattern?: RegExp;
  patternText?: string;
  /** The value is not echoed (tokens). */
  sensitive?: boolean;
}

/** Session names, source identities: `[\w+=,.@-]*`. */
export const SESSION_NAME_PATTERN = { pattern: /^[\w+=,.@-]*$/, patternText: '[\\w+=,.@-]*' } as const;
/** Session policy characters. */
export const POLICY_PATTERN = { pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/, patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' } as const;

/** Appends the violations of one string member. */
export function checkString(value: string | undefined, rule: StringRule, out: ParameterViolation[]): void {
  const shown = rule.sensitive ? undefined : value ?? null;
  if (value === undefined) {
    if (rule.required) out.push({ member: rule.member, value: rule.sensitive ? undefined : null, constraint: 'Member must not be null' });
    return;
  }
  if (rule.max !== undefined && value.length > rule.max) out.push({ member: rule.member, value: shown, constraint: `Member must have length less than or equal to ${rule.max}` });
  if (rule.min !== undefined && value.length < rule.min) out.push({ member: rule.member, value: shown, constraint: `Member must have length greater than or equal to ${rule.min}` });
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    out.push({ member: rule.member, value: shown, constraint: `Member must satisfy regular expression pattern: ${rule.patternText}` });
  }
}

/** `DurationSeconds`: an integer 900–43200 (default applied by the caller); the number, or undefined when absent/bad. */
export function checkDuration(value: string | undefined, out: ParameterViolation[]): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) {
    out.push({ member: 'durationSeconds', value, constraint: 'Member must be an integer' });
    return undefined;
  }
  const n = Number(value.trim());
  if (n < 900) out.push({ member: 'durationSeconds', value: String(n), constraint: 'Member must have value greater than or equal to 900' });
  else if (n > 43_200) out.push({ member: 'durationSeconds', value: String(n), constraint: 'Member must have value less than or equal to 43200' });
  return n;
}

/** `PolicyArns`: at most 10, each ARN 20–2048 characters. */
export function checkPolicyArns(arns: readonly string[], out: ParameterViolation[]): void {
  if (arns.length > 10) out.push({ member: 'policyArns', value: undefined, constraint: 'Member must have length less than or equal to 10' });
  arns.forEach((arn, i) => checkString(arn, { member: `policyArns.${i + 1}.member.arn`, min: 20, max: 2048 }, out));
}
