/**
 * The condition operators IAM knows, decomposed once: base operator, negation, `IfExists`, set operator.
 * @module
 */

export const B_STRING_EQUALS = 1;
export const B_STRING_EQUALS_IC = 2;
export const B_STRING_LIKE = 3;
export const B_NUMERIC_EQ = 4;
export const B_NUMERIC_LT = 5;
export const B_NUMERIC_LE = 6;
export const B_NUMERIC_GT = 7;
export const B_NUMERIC_GE = 8;
export const B_DATE_EQ = 9;
export const B_DATE_LT = 10;
export const B_DATE_LE = 11;
export const B_DATE_GT = 12;
export const B_DATE_GE = 13;
export const B_BOOL = 14;
export const B_BINARY = 15;
export const B_IP = 16;
export const B_ARN = 17;
export const B_NULL = 18;

export const SET_NONE = 0;
export const SET_ANY = 1;
export const SET_ALL = 2;

/** Value family of a base operator: how its policy values are compiled. */
export type OperatorFamily = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';

const BASES: Record<string, [number, boolean, OperatorFamily]> = {
  StringEquals: [B_STRING_EQUALS, false, 'string'],
  StringNotEquals: [B_STRING_EQUALS, true, 'string'],
  StringEqualsIgnoreCase: [B_STRING_EQUALS_IC, false, 'string'],
  StringNotEqualsIgnoreCase: [B_STRING_EQUALS_IC, true, 'string'],
  StringLike: [B_STRING_LIKE, false, 'string'],
  StringNotLike: [B_STRING_LIKE, true, 'string'],
  NumericEquals: [B_NUMERIC_EQ, false, 'numeric'],
  NumericNotEquals: [B_NUMERIC_EQ, true, 'numeric'],
  NumericLessThan: [B_NUMERIC_LT, false, 'numeric'],
  NumericLessThanEquals: [B_NUMERIC_LE, false, 'numeric'],
  NumericGreaterThan: [B_NUMERIC_GT, false, 'numeric'],
  NumericGreaterThanEquals: [B_NUMERIC_GE, false, 'numeric'],
  DateEquals: [B_DATE_EQ, false, 'date'],
  DateNotEquals: [B_DATE_EQ, true, 'date'],
  DateLessThan: [B_DATE_LT, false, 'date'],
  DateLessThanEquals: [B_DATE_LE, false, 'date'],
  DateGreaterThan: [B_DATE_GT, false, 'date'],
  DateGreaterThanEquals: [B_DATE_GE, false, 'date'],
  Bool: [B_BOOL, false, 'bool'],
  BinaryEquals: [B_BINARY, false, 'binary'],
  IpAddress: [B_IP, false, 'ip'],
  NotIpAddress: [B_IP, true, 'ip'],
  ArnEquals: [B_ARN, false, 'arn'],
  ArnLike: [B_ARN, false, 'arn'],
  ArnNotEquals: [B_ARN, true, 'arn'],
  ArnNotLike: [B_ARN, true, 'arn'],
  Null: [B_NULL, false, 'null'],
};

/** The base operator names IAM accepts (before `IfExists` and set prefixes). */
export const BASE_OPERATORS: readonly string[] = Object.keys(BASES);

/** A decomposed operator name such as `ForAllValues:StringNotLikeIfExists`. */
export interface ParsedOperator {
  name: string;
  baseName: string;
  base: number;
  negated: boolean;
  ifExists: boolean;
  set: number;
  family: OperatorFamily;
}

/** Decomposes an operator name, or returns null when IAM would not know it (names are case-sensitive). */
export function parseOperator(name: string): ParsedOperator | null {
  let rest = name;
  let set = SET_NONE;
  if (rest.startsWith('ForAnyValue:')) {
    set = SET_ANY;
    rest = rest.slice('ForAnyValue:'.length);
  } else if (rest.startsWith('ForAllValues:')) {
    set = SET_ALL;
    rest = rest.slice('ForAllValues:'.length);
  }
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const b = Object.prototype.hasOwnProperty.call(BASES, rest) ? BASES[rest] : undefined;
  if (b === undefined) return null;
  if (b[0] === B_NULL && (ifExists || set !== SET_NONE)) return null;
  return { name, baseName: rest, base: b[0], negated: b[1], ifExists, set, family: b[2] };
}
