/**
 * JSON as Go's `encoding/json` writes it (`json.Marshal`): compact, and `<`, `>`, `&`, U+2028 and U+2029 escaped as
 * `\u003c` …, so files and API inputs that Go tools (ccoctl) produce can be reproduced byte for byte. Key order is
 * the caller's: Go writes struct fields in declaration order and map keys sorted ({@link sortKeysDeep}).
 * @module
 */
import { isRecord } from './is-record.js';

/**
 * @example
 * goJsonStringify({ a: '<b>' }) // '{"a":"\\u003cb\\u003e"}'
 */
export function goJsonStringify(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A copy with every object's keys sorted, as Go marshals a `map[string]…`.
 * @example
 * Object.keys(sortKeysDeep({ b: 1, a: 2 })) // ['a', 'b']
 */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep(value[key]);
  return out;
}
