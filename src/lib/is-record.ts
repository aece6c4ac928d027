/**
 * The one `isRecord`: a JSON object (not `null`, not an array), as every reader of parsed JSON or YAML checks it.
 * @module
 */

/**
 * Whether a parsed value is a JSON object.
 * @example
 * isRecord({ a: 1 }) // true; isRecord([1]) // false
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
