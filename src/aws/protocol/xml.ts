/**
 * XML writing for AWS responses: escaping, AWS's timestamp format, and one writer for plain objects in model
 * order. Query services wrap lists in `<member>`; S3 repeats the element (flattened lists).
 * @module
 */

import { boundedMemo } from '../../lib/bounded-memo.js';

/** A value the writer renders: scalars as text, objects as child elements in key order, arrays as lists. */
export type XmlValue = string | number | boolean | Date | null | undefined | XmlFragment | XmlObject | readonly XmlValue[];

/**
 * An element's children written already (by {@link writeXml}), written as they are: for a response part that is
 * the same for many requests (a role as GetRole shows it, until the role changes), written once.
 */
export class XmlFragment {
  constructor(readonly xml: string) {}
}
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
  return timestampOfSecond(Math.floor(date.getTime() / 1000));
}

/**
 * The text depends on the second only, and toISOString costs several µs: each second is formatted once (a burst of
 * responses shares one: the Expiration of sessions issued in one second; a role's CreateDate in every GetRole).
 */
const timestampOfSecond = boundedMemo(256, (second: number): string => {
  const iso = new Date(second * 1000).toISOString(); // `….000Z`; throws for an invalid date
  return `${iso.slice(0, -5)}Z`;
});

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
  return writeChildren(obj, options.flattenLists === true, options.dates ?? awsTimestamp);
}

// Strings are joined with `+`: V8 links the parts and copies them once, when the response is written (an array
// joined at each level copied every part again per level).
function writeChildren(obj: XmlObject, flatten: boolean, dates: (d: Date) => string): string {
  let out = '';
  for (const name of Object.keys(obj)) {
    const value = obj[name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      if (flatten) {
        for (const item of value as readonly XmlValue[]) out += writeElement(name, item, flatten, dates);
      } else {
        out += `<${name}>`;
        for (const item of value as readonly XmlValue[]) out += writeElement('member', item, flatten, dates);
        out += `</${name}>`;
      }
    } else {
      out += writeElement(name, value, flatten, dates);
    }
  }
  return out;
}

function writeElement(name: string, value: XmlValue, flatten: boolean, dates: (d: Date) => string): string {
  if (value === undefined || value === null) return '';
  if (value instanceof XmlFragment) return `<${name}>${value.xml}</${name}>`;
  if (typeof value === 'object' && !(value instanceof Date)) {
    if (Array.isArray(value)) return writeChildren({ [name]: value }, flatten, dates);
    return `<${name}>${writeChildren(value as XmlObject, flatten, dates)}</${name}>`;
  }
  const text = scalar(value as string | number | boolean | Date, dates);
  return text === '' ? `<${name}/>` : `<${name}>${text}</${name}>`;
}
