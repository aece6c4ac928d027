/**
 * The AWS query protocol (IAM, STS): parameters from a form body or query string, the success envelope
 * `<{Op}Response><{Op}Result>…</{Op}Result><ResponseMetadata>…` and the `<ErrorResponse>` envelope, exactly as
 * spec 1.2/1.3; JSON variants for `Accept: application/json` (spec 1.4).
 * @module
 */
import { escapeXml, writeXml, type XmlObject } from './xml.js';
import type { WireError } from '../errors.js';

/** Query parameters by name (flattened names as sent: `ClientIDList.member.1`). */
export type QueryParams = ReadonlyMap<string, string>;

/**
 * Parses `application/x-www-form-urlencoded` text (`+` is a space). Later duplicates win, as AWS's parser does.
 * @example
 * parseQueryParams('Action=GetRole&RoleName=a+b').get('RoleName') // 'a b'
 */
export function parseQueryParams(text: string): Map<string, string> {
  // A direct split is several times cheaper than URLSearchParams for the common case; anything it cannot decode
  // exactly as the WHATWG form parser would (a malformed %-sequence, invalid UTF-8, any surrogate) goes to it.
  if (text.charCodeAt(0) === 0x3f /* ? */ || SURROGATE.test(text)) return viaUrlSearchParams(text);
  const out = new Map<string, string>();
  const n = text.length;
  let eq = -1; // the first '=' at or after `start`, kept across pairs so a long run of pairs without one stays linear
  for (let start = 0; start < n; ) {
    let end = text.indexOf('&', start);
    if (end === -1) end = n;
    if (end > start) {
      if (eq !== n && eq < start) {
        eq = text.indexOf('=', start);
        if (eq === -1) eq = n;
      }
      const name = formDecode(eq < end ? text.slice(start, eq) : text.slice(start, end));
      const value = eq < end ? formDecode(text.slice(eq + 1, end)) : '';
      if (name === undefined || value === undefined) return viaUrlSearchParams(text);
      out.set(name, value);
    }
    start = end + 1;
  }
  return out;
}

const SURROGATE = /[\uD800-\uDFFF]/;
const PLUS = /\+/g;

function viaUrlSearchParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  return out;
}

/** `+` as space, then %-decoding as UTF-8; undefined when strict decoding fails (the caller falls back). */
function formDecode(part: string): string | undefined {
  const spaced = part.includes('+') ? part.replace(PLUS, ' ') : part;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/**
 * A flattened list parameter: `Name.member.1`, `Name.member.2`, … (1-based, stops at the first gap).
 * @example
 * listParam(params, 'ClientIDList') // ['sts.amazonaws.com', 'openshift']
 */
export function listParam(params: QueryParams, name: string): string[] | undefined {
  const out: string[] = [];
  for (let i = 1; ; i++) {
    const v = params.get(`${name}.member.${i}`);
    if (v === undefined) break;
    out.push(v);
  }
  if (out.length === 0) return params.has(name) ? [] : undefined;
  return out;
}

/**
 * A flattened list of structures: `Tags.member.1.Key`, `Tags.member.1.Value`, … (1-based, stops at the first gap).
 * @example
 * structListParam(params, 'Tags', ['Key', 'Value']) // [{ Key: 'team', Value: 'a' }]
 */
export function structListParam<K extends string>(params: QueryParams, name: string, members: readonly K[]): Array<Partial<Record<K, string>>> | undefined {
  const out: Array<Partial<Record<K, string>>> = [];
  for (let i = 1; ; i++) {
    const item: Partial<Record<K, string>> = {};
    let any = false;
    for (const m of members) {
      const v = params.get(`${name}.member.${i}.${m}`);
      if (v !== undefined) {
        item[m] = v;
        any = true;
      }
    }
    if (!any) break;
    out.push(item);
  }
  if (out.length === 0) return params.has(name) ? [] : undefined;
  return out;
}

/**
 * The success envelope of a query operation.
 * @example
 * querySuccessXml('GetRole', IAM_XML_NAMESPACE, { Role: {...} }, requestId)
 */
export function querySuccessXml(operation: string, namespace: string, result: XmlObject | undefined, requestId: string): string {
  const body = result === undefined ? '' : `<${operation}Result>${writeXml(result)}</${operation}Result>`;
  return (
    `<${operation}Response xmlns="${namespace}">${body}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/** The `<ErrorResponse>` envelope (spec 1.3). */
export function queryErrorXml(err: WireError, namespace: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${err.fault}</Type><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}

function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = toJson(v);
    return out;
  }
  return value;
}

/** The JSON form of a success (`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":…,"ResponseMetadata":…}}`). */
export function querySuccessJson(operation: string, result: XmlObject | undefined, requestId: string): string {
  return JSON.stringify({
    [`${operation}Response`]: { [`${operation}Result`]: toJson(result ?? {}), ResponseMetadata: { RequestId: requestId } },
  });
}

/** The JSON form of an error (`{"Error":{"Code":…,"Message":…,"Type":…},"RequestId":…}`). */
export function queryErrorJson(err: WireError, requestId: string): string {
  return JSON.stringify({ Error: { Code: err.code, Message: err.message, Type: err.fault }, RequestId: requestId });
}

/** True when the client asked for JSON (spec 1.4). */
export function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/json\b/i.test(accept);
}
