/**
 * The request context prepared once per request: action lower-cased, the principal's account derived, keys in a map
 * by lower-cased name with values as strings. Every statement then reads it without allocating.
 * @module
 */
import { accountOfArn, ACCOUNT_ID_PATTERN } from '../lib/aws-arn.js';
import type { RequestContext, RequestPrincipal } from './types.js';
import type { VariableSource } from './pattern.js';
import { parseDate, parseIpNetwork, parseNumber, type IpNetwork } from './values.js';

/**
 * One key's values. `multi` is true when the caller gave an array. Parsed forms (numbers, dates, IP addresses,
 * lower case) are computed on first use and kept, so several conditions on one key parse it once.
 */
export class ContextValue {
  readonly values: string[];
  readonly multi: boolean;
  private numbers: number[] | null;
  private dates: number[] | null;
  private ips: Array<IpNetwork | null> | null;
  private lowers: string[] | null;

  constructor(values: string[], multi: boolean) {
    this.values = values;
    this.multi = multi;
    this.numbers = null;
    this.dates = null;
    this.ips = null;
    this.lowers = null;
  }

  number(i: number): number {
    if (this.numbers === null) this.numbers = this.values.map(parseNumber);
    return this.numbers[i]!;
  }

  date(i: number): number {
    if (this.dates === null) this.dates = this.values.map(parseDate);
    return this.dates[i]!;
  }

  ip(i: number): IpNetwork | null {
    if (this.ips === null) this.ips = this.values.map(parseIpNetwork);
    return this.ips[i]!;
  }

  lower(i: number): string {
    if (this.lowers === null) this.lowers = this.values.map((v) => v.toLowerCase());
    return this.lowers[i]!;
  }
}

function str(v: string | number | boolean): string {
  return typeof v === 'string' ? v : String(v);
}

/** A request context ready for evaluation. Build with {@link prepareContext}. */
export class PreparedContext implements VariableSource {
  readonly action: string;
  readonly actionLower: string;
  readonly resource: string;
  readonly principal: RequestPrincipal | null;
  readonly principalAccount: string | null;
  /** The account owning the resource: `resourceAccount`, else the resource ARN's account, else null (unknown). */
  readonly resourceAccount: string | null;
  readonly keys: Map<string, ContextValue>;

  constructor(ctx: RequestContext) {
    if (typeof ctx.action !== 'string' || ctx.action === '') throw new TypeError('request context needs an action');
    this.action = ctx.action;
    this.actionLower = ctx.action.toLowerCase();
    this.resource = ctx.resource ?? '*';
    this.principal = ctx.principal ?? null;
    let account: string | null = null;
    if (this.principal !== null && this.principal.type === 'AWS') {
      account = this.principal.account ?? accountOfArn(this.principal.id) ?? null;
      if (account === null && ACCOUNT_ID_PATTERN.test(this.principal.id)) account = this.principal.id;
    }
    this.principalAccount = account;
    if (ctx.resourceAccount !== undefined && !ACCOUNT_ID_PATTERN.test(ctx.resourceAccount)) {
      throw new TypeError(`request context resourceAccount "${ctx.resourceAccount}" is not a 12-digit account id`);
    }
    this.resourceAccount = ctx.resourceAccount ?? (ctx.resource === undefined ? null : accountOfArn(ctx.resource) ?? null);
    this.keys = new Map();
    const keys = ctx.keys ?? {};
    for (const name of Object.keys(keys)) {
      const raw = keys[name]!;
      const lower = name.toLowerCase();
      let value: ContextValue;
      if (typeof raw === 'string') {
        value = new ContextValue([raw], false);
      } else if (Array.isArray(raw)) {
        const values: string[] = [];
        for (const v of raw as ReadonlyArray<string | number | boolean>) values.push(str(v));
        value = new ContextValue(values, true);
      } else {
        value = new ContextValue([str(raw as string | number | boolean)], false);
      }
      const prior = this.keys.get(lower);
      if (prior !== undefined) value = new ContextValue(prior.values.concat(value.values), true);
      this.keys.set(lower, value);
    }
  }

  /** The single value of a lower-cased key, or null when absent or multi-valued (IAM substitutes neither). */
  variable(key: string): string | null {
    const v = this.keys.get(key);
    if (v === undefined || v.multi || v.values.length !== 1) return null;
    return v.values[0]!;
  }
}

/**
 * Prepares a request context once, so several policies (or several evaluations) share the work.
 * @example
 * const ctx = prepareContext({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', keys: { 'aws:SourceIp': '10.0.0.1' } });
 */
export function prepareContext(ctx: RequestContext | PreparedContext): PreparedContext {
  return ctx instanceof PreparedContext ? ctx : new PreparedContext(ctx);
}
