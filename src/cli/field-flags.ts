/**
 * Libraries name the fields of their inputs (`roleArn`, `issuer`); commands name flags (`--role-arn`, `--issuer`).
 * Each command lists which flag fills which field, and an error about a field becomes a {@link UsageError} that names
 * the flag, message otherwise unchanged.
 * @module
 */
import { IrsaError, UsageError } from '../lib/errors.js';

/** Field of a library input ⇒ the flag (or variable) it came from, e.g. `{ roleArn: '--role-arn' }`. */
export type FieldFlags = Readonly<Record<string, string>>;

/**
 * The error as the command's user should read it: an {@link IrsaError} about a field in `flags` becomes a
 * {@link UsageError} (an error with another exit code keeps its code and exit code) whose message names the flag where it named the field (its first mention as a word; the flag
 * goes in front when the message does not mention it), the original as its `cause`; any other error is returned as
 * it is.
 * @example
 * flagError(new FieldError('roleArn', '"x": not an IAM role ARN'), { roleArn: '--role-arn' }).message // '--role-arn "x": not an IAM role ARN'
 */
export function flagError(err: unknown, flags: FieldFlags): unknown {
  if (!(err instanceof IrsaError) || err.field === undefined || !Object.hasOwn(flags, err.field)) return err;
  const flag = flags[err.field]!;
  const mention = new RegExp(`(?<![\\w-])${err.field.replace(/[^\w]/g, '\\$&')}(?![\\w-])`);
  const message = mention.test(err.message) ? err.message.replace(mention, () => flag) : `${flag}: ${err.message}`;
  // input errors (exit 2) become usage errors; others (an untrusted TLS chain, exit 1) keep their code and exit code
  return err.exitCode === 2 ? new UsageError(message, { cause: err }) : new IrsaError(err.code, message, { cause: err, exitCode: err.exitCode });
}

/**
 * Runs `fn` and rethrows its errors through {@link flagError}.
 * @example
 * const issuer = withFlags({ issuer: '--issuer' }, () => validateIssuerUrl(opts.issuer));
 */
export function withFlags<T>(flags: FieldFlags, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw flagError(err, flags);
  }
}

/**
 * A command action whose errors go through {@link flagError}: the one place a command says which flag fills which
 * field of the libraries it calls.
 * @example
 * command.action(flagAction({ roleArn: '--role-arn' }, async (opts) => { … }));
 */
export function flagAction<A extends unknown[]>(flags: FieldFlags, action: (...args: A) => unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      throw flagError(err, flags);
    }
  };
}
