import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagAction, flagError, withFlags } from '../../src/cli/field-flags.js';
import { FieldError, IrsaError, UsageError } from '../../src/lib/errors.js';
import { buildCredentialsConfig } from '../../src/kube/index.js';
import { OidcError, validateIssuerUrl } from '../../src/oidc/index.js';

const FLAGS = { roleArn: '--role-arn', issuer: '--issuer', ca: '--ca-file', dir: '--out' };

test('a field the command has a flag for: a usage error naming the flag where the library named the field', () => {
  const mapped = flagError(new FieldError('roleArn', '"x": not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME'), FLAGS);
  assert.ok(mapped instanceof UsageError);
  assert.equal(mapped.message, '--role-arn "x": not an IAM role ARN; use arn:aws:iam::ACCOUNT:role/NAME');
  assert.equal(mapped.exitCode, 2);
  assert.ok(mapped.cause instanceof FieldError, 'the library error is the cause');
  // named inside the message, not first: the first mention as a word, nothing else
  const inner = flagError(new OidcError('ERR_OIDC_THUMBPRINT', 'h: TLS connection failed (x); the certificate chain is not trusted; pass ca with the issuing CA', { exitCode: 1, field: 'ca' }), FLAGS) as IrsaError;
  assert.equal(inner.message, 'h: TLS connection failed (x); the certificate chain is not trusted; pass --ca-file with the issuing CA');
  assert.deepEqual([inner.code, inner.exitCode, inner instanceof UsageError], ['ERR_OIDC_THUMBPRINT', 1, false], 'not a usage error: keeps its code and exit code');
  // not mentioned as a word ("directory" is not "dir"): the flag goes in front
  const front = flagError(new OidcError('ERR_OIDC_INVALID_KEY', '/x: cannot create the key directory; choose a writable directory', { field: 'dir' }), FLAGS) as Error;
  assert.equal(front.message, '--out: /x: cannot create the key directory; choose a writable directory');
});

test('errors without a field, or with one the command has no flag for, pass unchanged', () => {
  const plain = new Error('boom');
  assert.equal(flagError(plain, FLAGS), plain);
  const noField = new IrsaError('ERR_USAGE', 'x', { exitCode: 2 });
  assert.equal(flagError(noField, FLAGS), noField);
  const other = new FieldError('tokenPath', '"t": must be an absolute path');
  assert.equal(flagError(other, FLAGS), other);
  assert.equal(flagError('a string', FLAGS), 'a string');
});

test('withFlags and flagAction map what the libraries throw (sync and async)', async () => {
  assert.throws(() => withFlags(FLAGS, () => validateIssuerUrl('http://oidc.example.com')), (err: unknown) => err instanceof UsageError && /^--issuer "http:\/\/oidc\.example\.com": must start with https:\/\//.test(err.message));
  assert.equal(withFlags(FLAGS, () => 42), 42);
  const action = flagAction(FLAGS, async (roleArn: string) => {
    await Promise.resolve();
    buildCredentialsConfig({ roleArn });
  });
  await assert.rejects(action('nope'), (err: unknown) => err instanceof UsageError && err.message.startsWith('--role-arn "nope": not an IAM role ARN'));
  await action('arn:aws:iam::123456789012:role/r');
});
