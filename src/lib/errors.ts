/**
 * The base of every error irsa-kit raises on purpose. Each area (`webhook`, `policy`, `oidc`, `kube`, `aws`)
 * subclasses it in its own `errors.ts` with a stable `code`; the CLI turns any of them into a one-line message
 * and the error's `exitCode`.
 * @module
 */

/**
 * An error a user can cause: it carries a stable code, and the exit code the CLI ends with. An error about one input
 * carries that input's `field` (`roleArn`, `issuer`, `tokenPath`: the library's own option names) and its message
 * names the field as a word (usually first: `roleArn "x": …`), so a caller that took the value from somewhere else
 * (the CLI's `--role-arn`, an environment variable) can name that instead (`src/cli/field-flags.ts`). Libraries never
 * name a CLI flag.
 */
export class IrsaError extends Error {
  readonly code: string;
  readonly exitCode: number;
  /** The input the error concerns, when there is one; the message names it. */
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number; field?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.field = options.field;
  }
}

/**
 * Every code the shared library raises: `ERR_USAGE` ({@link UsageError}), `ERR_GO_PARSE` ({@link GoParseError}),
 * `ERR_INVALID_FIELD` ({@link FieldError}) and `ERR_INSTANCE_METADATA` (EC2 instance metadata, `instance-identity.ts`).
 * Each area's `errors.ts` lists its codes the same way; the registry test (test/lib/errors-registry.test.ts) checks
 * them against each other and against docs/errors.md.
 */
export const LIB_ERROR_CODES = ['ERR_USAGE', 'ERR_GO_PARSE', 'ERR_INVALID_FIELD', 'ERR_INSTANCE_METADATA'] as const;
export type LibErrorCode = (typeof LIB_ERROR_CODES)[number];

/**
 * Bad input on the command line or in a file the user named: exit code 2, message names the flag and the fix. Only
 * `src/cli/` throws it; libraries throw their area's error (or {@link FieldError}) with the field.
 */
export class UsageError extends IrsaError {
  declare readonly code: 'ERR_USAGE';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_USAGE', message, { ...options, exitCode: 2 });
  }
}

/** A value Go would refuse; the message follows Go's (`strconv.ParseInt: parsing "x": invalid syntax`). */
export class GoParseError extends IrsaError {
  declare readonly code: 'ERR_GO_PARSE';
  constructor(message: string) {
    super('ERR_GO_PARSE', message, { exitCode: 2 });
  }
}

/**
 * An option of a library call that cannot be used, named by its field (exit code 2): the message is
 * `<field> <what is wrong>; <the fix>`, e.g. `roleArn "x": not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME`.
 * @example
 * throw new FieldError('tokenPath', `${JSON.stringify(path)}: must be an absolute path`);
 */
export class FieldError extends IrsaError {
  declare readonly code: 'ERR_INVALID_FIELD';
  declare readonly field: string;
  constructor(field: string, detail: string, options: { cause?: unknown } = {}) {
    super('ERR_INVALID_FIELD', `${field} ${detail}`, { ...options, exitCode: 2, field });
  }
}

/** EC2 instance metadata (IMDS) cannot be read: not on EC2, or IMDS unreachable or answering with an error. Exit 1. */
export class InstanceMetadataError extends IrsaError {
  declare readonly code: 'ERR_INSTANCE_METADATA';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_INSTANCE_METADATA', message, { ...options, exitCode: 1 });
  }
}
