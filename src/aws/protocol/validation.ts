/**
 * AWS's model-constraint validation (spec 1.3): every violated constraint of a request is collected and reported
 * in one `ValidationError` (400), `N validation error(s) detected: Value '…' at 'memberName' failed to satisfy
 * constraint: …`, member names in lowerCamelCase.
 * @module
 */
import { AwsError } from '../errors.js';

function member(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Collects constraint violations of one request; {@link ConstraintValidator.done} throws them together. */
export class ConstraintValidator {
  private readonly messages: string[] = [];

  /** `value` undefined: a sensitive member (a token), whose value AWS does not echo. */
  private add(name: string, value: string | null | undefined, constraint: string): void {
    const shown = value === undefined ? 'Value' : value === null ? 'Value null' : `Value '${value}'`;
    this.messages.push(`${shown} at '${member(name)}' failed to satisfy constraint: ${constraint}`);
  }

  /** Presence of a required member. Returns whether it is present. */
  required(name: string, value: unknown): boolean {
    if (value === undefined || value === null) {
      this.add(name, null, 'Member must not be null');
      return false;
    }
    return true;
  }

  /** Length bounds (characters); a `sensitive` member's value is not echoed (`Value at 'webIdentityToken' …`). */
  length(name: string, value: string | undefined, min: number, max: number, options: { sensitive?: boolean } = {}): void {
    if (value === undefined) return;
    const shown = options.sensitive === true ? undefined : value;
    if (value.length < min) this.add(name, shown, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.add(name, shown, `Member must have length less than or equal to ${max}`);
  }

  /** A regular-expression constraint, reported with the model's pattern text. */
  pattern(name: string, value: string | undefined, re: RegExp, text: string): void {
    if (value === undefined) return;
    if (!re.test(value)) this.add(name, value, `Member must satisfy regular expression pattern: ${text}`);
  }

  /** An integer member: must parse, and lie within bounds. Returns the number (or undefined). */
  integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value)) {
      this.add(name, value, 'Member must be an integer');
      return undefined;
    }
    const n = Number(value);
    if (n < min) this.add(name, value, `Member must have value greater than or equal to ${min}`);
    else if (n > max) this.add(name, value, `Member must have value less than or equal to ${max}`);
    return n;
  }

  /** A list's size bounds. */
  listLength(name: string, value: readonly unknown[] | undefined, min: number, max: number): void {
    if (value === undefined) return;
    if (value.length < min) this.messages.push(`Value '[${value.join(', ')}]' at '${member(name)}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.messages.push(`Value '[${value.join(', ')}]' at '${member(name)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }

  /** The collected violations as one ValidationError, or null when there are none. */
  error(): AwsError | null {
    if (this.messages.length === 0) return null;
    const n = this.messages.length;
    return new AwsError('ValidationError', `${n} validation error${n === 1 ? '' : 's'} detected: ${this.messages.join('; ')}`, 400);
  }

  /** Throws the collected violations as one ValidationError. */
  done(): void {
    const err = this.error();
    if (err !== null) throw err;
  }
}
