/**
 * Errors of the issuer side (keys, issuer URLs, tokens, thumbprints), each with a stable code.
 * @module
 */
import { IrsaError } from '../lib/errors.js';

/** Every code an {@link OidcError} can carry (the area's registry; docs/errors.md lists each). */
export const OIDC_ERROR_CODES = [
  'ERR_OIDC_INVALID_ISSUER',
  'ERR_OIDC_INVALID_KEY',
  'ERR_OIDC_UNSUPPORTED_KEY',
  'ERR_OIDC_WEAK_KEY',
  'ERR_OIDC_PUBLIC_KEY_EXPECTED',
  'ERR_OIDC_PRIVATE_KEY_EXPECTED',
  'ERR_OIDC_KEY_EXISTS',
  'ERR_OIDC_INVALID_EXPIRATION',
  'ERR_OIDC_INVALID_CLAIM',
  'ERR_OIDC_THUMBPRINT',
] as const;

/** Stable codes of {@link OidcError}; `switch (err.code)` narrows on them. */
export type OidcErrorCode = (typeof OIDC_ERROR_CODES)[number];

/**
 * An error in issuer-side input: bad key files, issuer URLs, token parameters, or a thumbprint that could not be read.
 * Input errors exit with 2 (usage); a TLS host that cannot be reached exits with 1.
 * @example
 * try { validateIssuerUrl('https://example.com:8443') } catch (err) { if (err instanceof OidcError) console.log(err.code) }
 */
export class OidcError extends IrsaError {
  declare readonly code: OidcErrorCode;

  constructor(code: OidcErrorCode, message: string, options: { cause?: unknown; exitCode?: number; field?: string } = {}) {
    super(code, message, { ...options, exitCode: options.exitCode ?? 2 });
  }
}
