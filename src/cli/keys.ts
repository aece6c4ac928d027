/**
 * `irsa keys create`: a service-account signing key pair (`sa-signer.key` mode 0600, `sa-signer.pub` SPKI PEM).
 * @module
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import { writeSigningKeyPair, type RsaKeyBits, type SigningKeyType } from '../oidc/index.js';
import { flagAction } from './field-flags.js';
import type { RegisterCommand } from './commands.js';

interface KeysCreateOptions {
  out: string;
  type: string;
  bits?: string;
  force?: boolean;
}

/** Registers `irsa keys`. */
export const registerKeysCommand: RegisterCommand = (program, ctx) => {
  const keys = program.command('keys').description('service-account signing keys');
  keys
    .command('create')
    .description('generate a signing key pair: sa-signer.key (PKCS#1/SEC1 PEM, mode 0600) and sa-signer.pub (SPKI PEM)')
    .requiredOption('--out <dir>', 'directory to write the key pair into (created if missing)')
    .option('--type <type>', 'key type: rsa or ec (EC is P-256)', 'rsa')
    .option('--bits <bits>', 'RSA modulus size: 2048, 3072 or 4096 (default 2048)')
    .option('--force', 'overwrite existing key files')
    .action(flagAction({ force: '--force', dir: '--out' }, async (opts: KeysCreateOptions, _command: Command) => {
      const type = opts.type;
      if (type !== 'rsa' && type !== 'ec') throw new UsageError(`--type ${JSON.stringify(type)}: use rsa or ec`);
      let bits: RsaKeyBits | undefined;
      if (opts.bits !== undefined) {
        if (type === 'ec') throw new UsageError('--bits applies to RSA keys only; drop it or use --type rsa');
        if (!['2048', '3072', '4096'].includes(opts.bits)) throw new UsageError(`--bits ${JSON.stringify(opts.bits)}: use 2048, 3072 or 4096`);
        bits = Number(opts.bits) as RsaKeyBits;
      }
      const written = await writeSigningKeyPair(resolve(ctx.cwd, opts.out), {
        type: type as SigningKeyType,
        ...(bits ? { bits } : {}),
        ...(opts.force ? { force: true } : {}),
      });
      ctx.stdout.write(`wrote ${written.privateKeyPath} (private, mode 0600)\nwrote ${written.publicKeyPath}\nkid ${written.kid} (${written.alg})\n`);
    }));
};
