/**
 * The base of every error irsa-kit raises on purpose. Each area (`webhook`, `policy`, `oidc`, `kube`, `aws`)
 * subclasses it in its own `errors.ts` with a stable `code`; the CLI turns any of them into a one-line message
 * and the error's `exitCode`.
 * @module
 */

/** An error a user can cause: it carries a stable code, and the exit code the CLI ends with. */
export class IrsaError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * Every code the shared library raises: `ERR_USAGE` ({@link UsageError}) and `ERR_GO_PARSE` ({@link GoParseError}).
 * Each area's `errors.ts` lists its codes the same way; the registry test (test/lib/errors-registry.test.ts) checks
 * them against each other and against docs/errors.md.
 */
export const LIB_ERROR_CODES = ['ERR_USAGE', 'ERR_GO_PARSE'] as const;
export type LibErrorCode = (typeof LIB_ERROR_CODES)[number];

/** Bad input on the command line or in a file the user named: exit code 2, message names the field and the fix. */
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
