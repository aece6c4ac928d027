/**
 * The nesting limit for pods: checked on the raw body before parsing (the webhook) and on a parsed value (the
 * CLI), so no recursive step after it (JSON.stringify, structuredClone, the YAML writer) can overflow the stack.
 * @module
 */

/**
 * Deepest nesting of arrays and objects accepted in an AdmissionReview or a manifest. A Pod's deepest field
 * (affinity … matchExpressions[].values[]) is about 12 levels, 17 inside a review or a List; JSON.stringify
 * overflows near 4,000.
 */
export const MAX_JSON_DEPTH = 100;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The byte offset at which JSON `bytes` nests deeper than `max` arrays/objects, or -1 when it does not. Counts
 * brackets outside strings in one pass without parsing, so it also bounds work done before JSON.parse.
 * @example
 * jsonDepthExceededAt(Buffer.from('[[1]]'), 1); // 1
 */
export function jsonDepthExceededAt(bytes: Uint8Array, max: number = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return -1;
}

/**
 * Whether a parsed value nests deeper than `max` arrays/objects (iterative: safe for any depth).
 * @example
 * valueDepthExceeds({ a: [[1]] }, 2); // true
 */
export function valueDepthExceeds(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (typeof top.value !== 'object' || top.value === null) continue;
    const depth = top.depth + 1;
    if (depth > max) return true;
    const children = Array.isArray(top.value) ? top.value : Object.values(top.value);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ value: child, depth });
  }
  return false;
}
