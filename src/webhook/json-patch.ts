/**
 * JSON Patch (RFC 6902) as the webhook emits it, JSON Pointer (RFC 6901) escaping, and a small applier for
 * `add`, `replace` and `remove` used by `irsa inject`, `irsa exec` and the tests.
 * @module
 */
import { isRecord } from '../lib/is-record.js';
import { JsonPatchError } from './errors.js';
import { setJsonMember } from './mutate.js';

/** One operation of the patch returned to the API server (`op` is always `add` in the webhook's output). */
export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/**
 * Escapes one JSON Pointer reference token: `~` ⇒ `~0`, `/` ⇒ `~1`.
 * @example
 * escapeJsonPointer('eks.amazonaws.com/pod-identity'); // 'eks.amazonaws.com~1pod-identity'
 */
export function escapeJsonPointer(token: string): string {
  if (token.indexOf('~') < 0 && token.indexOf('/') < 0) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Reverses {@link escapeJsonPointer}. */
export function unescapeJsonPointer(token: string): string {
  if (token.indexOf('~') < 0) return token;
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Splits a JSON Pointer into unescaped reference tokens (`''` ⇒ `[]`). */
export function parseJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (pointer[0] !== '/') throw new JsonPatchError(`JSON Pointer ${JSON.stringify(pointer)} must start with "/"`);
  return pointer.slice(1).split('/').map(unescapeJsonPointer);
}

/**
 * Applies `patch` to a deep copy of `doc` and returns the result; the input is never modified. Throws
 * {@link JsonPatchError} when an operation's parent is missing or an array index is out of range.
 * @example
 * applyJsonPatch({ spec: {} }, [{ op: 'add', path: '/spec/volumes', value: [] }]); // { spec: { volumes: [] } }
 */
export function applyJsonPatch<T = unknown>(doc: unknown, patch: readonly JsonPatchOperation[]): T {
  let root: unknown = structuredClone(doc);
  for (const op of patch) {
    const tokens = parseJsonPointer(op.path);
    const value = op.op === 'remove' ? undefined : structuredClone(op.value);
    if (tokens.length === 0) {
      if (op.op === 'remove') throw new JsonPatchError('cannot remove the whole document');
      root = value;
      continue;
    }
    let parent: unknown = root;
    for (let i = 0; i < tokens.length - 1; i++) {
      parent = child(parent, tokens[i]!, op.path);
    }
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : arrayIndex(last, op.path);
      if (op.op === 'add') {
        if (index > parent.length) throw new JsonPatchError(`${op.path}: index ${index} is out of range`);
        parent.splice(index, 0, value);
      } else {
        if (index >= parent.length) throw new JsonPatchError(`${op.path}: index ${index} is out of range`);
        if (op.op === 'replace') parent[index] = value;
        else parent.splice(index, 1);
      }
    } else if (isRecord(parent)) {
      if (op.op !== 'add' && !Object.prototype.hasOwnProperty.call(parent, last)) {
        throw new JsonPatchError(`${op.path}: no such member to ${op.op}`);
      }
      if (op.op === 'remove') delete parent[last];
      else setJsonMember(parent, last, value);
    } else {
      throw new JsonPatchError(`${op.path}: parent is not an object or array`);
    }
  }
  return root as T;
}

function child(parent: unknown, token: string, path: string): unknown {
  if (Array.isArray(parent)) {
    const index = arrayIndex(token, path);
    if (index >= parent.length) throw new JsonPatchError(`${path}: index ${index} is out of range`);
    return parent[index];
  }
  if (isRecord(parent) && Object.prototype.hasOwnProperty.call(parent, token)) return parent[token];
  throw new JsonPatchError(`${path}: ${JSON.stringify(token)} does not exist`);
}

function arrayIndex(token: string, path: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`${path}: ${JSON.stringify(token)} is not an array index`);
  return Number(token);
}
