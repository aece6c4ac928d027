/**
 * XML writing for AWS responses: escaping, AWS's timestamp format, and one writer for plain objects in model
 * order. Query services wrap lists in `<member>`; S3 repeats the element (flattened lists).
 * @module
 */

/** A value the writer renders: scalars as text, objects as child elements in key order, arrays as lists. */
export type XmlValue = string | number | boolean | Date | null | undefined | XmlObject | readonly XmlValue[];
/** An element's children, in the order they are written. */
export interface XmlObject {
  readonly [name: string]: XmlValue;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

/**
 * Escapes text for an XML element or attribute.
 * @example
 * escapeXml('a<b') // 'a&lt;b'
 */
export function escapeXml(text: string): string {
  return /[&<>"'\r]/.test(text) ? text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!) : text;
}

/**
 * AWS's query-protocol timestamp: ISO-8601 UTC without milliseconds (`2024-05-01T12:00:00Z`).
 * @example
 * awsTimestamp(new Date(0)) // '1970-01-01T00:00:00Z'
 */
export function awsTimestamp(date: Date): string {
  // The text depends on the second only, and toISOString costs several µs (V8 formats through vsnprintf): the last
  // second formatted is remembered (a burst of responses shares it: the Expiration of sessions issued in one second)
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastSecond) return lastText;
  const iso = date.toISOString();
  // years 0000-9999 print as YYYY-MM-DDTHH:MM:SS.sssZ (24 characters): cut the milliseconds without a regex
  lastText = iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
  lastSecond = second;
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';

function scalar(value: string | number | boolean | Date, dates: (d: Date) => string): string {
  if (value instanceof Date) return dates(value);
  return escapeXml(String(value));
}

/** Options of {@link writeXml}. */
export interface WriteXmlOptions {
  /** Repeat the element for each list item (S3) instead of wrapping items in `<member>` (query services). */
  flattenLists?: boolean;
  /** Timestamp format; default {@link awsTimestamp}. S3 uses ISO-8601 with milliseconds. */
  dates?: (d: Date) => string;
}

/**
 * Writes the children of an element: `{ A: 'x', B: [1, 2] }` → `<A>x</A><B><member>1</member><member>2</member></B>`.
 * `undefined` and `null` members are left out.
 * @example
 * writeXml({ RoleName: 'r', Tags: [{ Key: 'k', Value: 'v' }] })
 */
export function writeXml(obj: XmlObject, options: WriteXmlOptions = {}): string {
  const out: string[] = [];
  writeChildren(obj, out, options.flattenLists === true, options.dates ?? awsTimestamp);
  return out.join('');
}

function writeChildren(obj: XmlObject, out: string[], flatten: boolean, dates: (d: Date) => string): void {
  for (const name of Object.keys(obj)) {
    const value = obj[name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (flatten) {
        for (const item of value as readonly XmlValue[]) writeElement(name, item, out, flatten, dates);
      } else {
        out.push(`<${name}>`);
        for (const item of value as readonly XmlValue[]) writeElement('member', item, out, flatten, dates);
        out.push(`</${name}>`);
      }
    } else {
      writeElement(name, value, out, flatten, dates);
    }
  }
}

function writeElement(name: string, value: XmlValue, out: string[], flatten: boolean, dates: (d: Date) => string): void {
  if (value === undefined || value === null) return;
  if (typeof value === 'object' && !(value instanceof Date)) {
    if (Array.isArray(value)) {
      writeChildren({ [name]: value }, out, flatten, dates);
      return;
    }
    out.push(`<${name}>`);
    writeChildren(value as XmlObject, out, flatten, dates);
    out.push(`</${name}>`);
    return;
  }
  const text = scalar(value as string | number | boolean | Date, dates);
  out.push(text === '' ? `<${name}/>` : `<${name}>${text}</${name}>`);
}
