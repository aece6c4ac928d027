/**
 * `irsa oidc discovery | serve | thumbprint`: publish, serve and fingerprint the service-account issuer.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import {
  assertPemKeyStrength,
  buildIssuerDocuments,
  createIssuerServer,
  createIssuerSite,
  fetchIssuerThumbprint,
  keyIdFromPublicKey,
  readIssuerDirectory,
  readPublicKeyFiles,
  writeIssuerDocuments,
  type IssuerLayout,
  validateIssuerUrl,
  type IssuerSite,
} from '../oidc/index.js';
import type { CliContext } from './context.js';
import type { RegisterCommand } from './commands.js';
import { flagAction } from './field-flags.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function parseLayout(value: string | undefined): IssuerLayout {
  const layout = value ?? 's3';
  if (layout !== 's3' && layout !== 'kubernetes') throw new UsageError(`--layout ${JSON.stringify(layout)}: use s3 (keys.json, as ccoctl) or kubernetes (openid/v1/jwks, as kube-apiserver)`);
  return layout;
}

/** Parses a TCP port option. */
function parsePort(value: string, flag = '--port'): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`${flag} ${JSON.stringify(value)}: use a port number 0-65535`);
  return port;
}

async function readTextFile(cwd: string, path: string, flag: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), 'utf8');
  } catch {
    throw new UsageError(`${flag} ${path}: cannot be read; check the path`);
  }
}

interface DiscoveryOptions {
  issuer: string;
  publicKey: string[];
  removeKid?: string[];
  out: string;
  layout?: string;
  format: string;
}

interface ServeOptions {
  dir?: string;
  publicKey?: string[];
  issuer?: string;
  layout?: string;
  port?: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
}

async function loadSite(opts: ServeOptions, ctx: CliContext): Promise<IssuerSite> {
  if (opts.dir !== undefined) {
    if (opts.publicKey?.length || opts.issuer !== undefined) throw new UsageError('--dir serves documents already written; drop --public-key/--issuer or drop --dir');
    const dir = await readIssuerDirectory(resolve(ctx.cwd, opts.dir));
    return createIssuerSite(dir.issuer, dir.files);
  }
  if (!opts.publicKey?.length || opts.issuer === undefined) throw new UsageError('pass --dir DIR, or --issuer URL with at least one --public-key FILE');
  const keys = await readPublicKeyFiles(opts.publicKey.map((p) => resolve(ctx.cwd, p)));
  const docs = buildIssuerDocuments({ issuer: opts.issuer, publicKeys: keys, layout: parseLayout(opts.layout) });
  return createIssuerSite(docs.issuer, docs.files);
}

/** Registers `irsa oidc`. */
export const registerOidcCommand: RegisterCommand = (program, ctx) => {
  const oidc = program.command('oidc').description('the service-account issuer: discovery document, JWKS, serving, thumbprint');

  oidc
    .command('discovery')
    .description('write .well-known/openid-configuration and the JWKS for an issuer and its public keys')
    .requiredOption('--issuer <url>', 'issuer URL (https, no port, no query, no fragment), the iss of every token')
    .requiredOption('--public-key <file>', 'PEM public key, or a published JWKS (keys.json) to keep its keys; repeat for rotation', collect)
    .option('--remove-kid <kid>', 'leave out the key with this kid (after a rotation); repeatable', collect)
    .requiredOption('--out <dir>', 'directory laid out as the bucket / web root')
    .option('--layout <layout>', 's3: keys.json (ccoctl, rosa); kubernetes: openid/v1/jwks (kube-apiserver)', 's3')
    .option('--format <format>', 'apiserver: compact, as kube-apiserver serves them; ccoctl: ccoctl\'s indented files (RSA only)', 'apiserver')
    .action(flagAction({ issuer: '--issuer', publicKeys: '--public-key' }, async (opts: DiscoveryOptions) => {
      if (opts.format !== 'apiserver' && opts.format !== 'ccoctl') throw new UsageError(`--format ${JSON.stringify(opts.format)}: use apiserver or ccoctl`);
      validateIssuerUrl(opts.issuer);
      const all = await readPublicKeyFiles(opts.publicKey.map((p) => resolve(ctx.cwd, p)));
      const kids = all.map(keyIdFromPublicKey);
      const remove = new Set(opts.removeKid ?? []);
      for (const kid of remove) {
        if (!kids.includes(kid)) throw new UsageError(`--remove-kid ${kid}: no such key among the --public-key files; check the kid`);
      }
      const keys = all.filter((_, i) => !remove.has(kids[i]!));
      if (keys.length === 0) throw new UsageError('--remove-kid removes every key; keep at least one');
      const docs = buildIssuerDocuments({ issuer: opts.issuer, publicKeys: keys, layout: parseLayout(opts.layout), style: opts.format });
      const written = await writeIssuerDocuments(resolve(ctx.cwd, opts.out), docs);
      for (const path of written) ctx.stdout.write(`wrote ${path}\n`);
      ctx.stdout.write(`jwks_uri ${docs.discovery.jwks_uri}\n`);
      for (const key of docs.jwks.keys) ctx.stdout.write(`kid ${key.kid} (${key.alg})\n`);
    }));

  oidc
    .command('serve')
    .description('serve the discovery document and JWKS (Cache-Control, ETag, conditional GET) until interrupted')
    .option('--dir <dir>', 'serve the documents irsa oidc discovery wrote')
    .option('--public-key <file>', 'PEM public key (with --issuer); repeat for rotation', collect)
    .option('--issuer <url>', 'issuer URL (with --public-key)')
    .option('--layout <layout>', 'with --public-key: s3 or kubernetes', 's3')
    .option('--port <port>', 'port to listen on (default 8080, 8443 with TLS; 0 = any free port)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--tls-cert <file>', 'PEM certificate chain: serve https')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .action(flagAction({ issuer: '--issuer', publicKeys: '--public-key' }, async (opts: ServeOptions) => {
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together; pass both or neither');
      const site = await loadSite(opts, ctx);
      const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined
        ? { cert: await readTextFile(ctx.cwd, opts.tlsCert, '--tls-cert'), key: await readTextFile(ctx.cwd, opts.tlsKey, '--tls-key') }
        : undefined;
      if (tls) assertPemKeyStrength(tls.key, `--tls-key ${opts.tlsKey}`);
      const port = opts.port === undefined ? (tls ? 8443 : 8080) : parsePort(opts.port);
      let server;
      try {
        server = await createIssuerServer({ site, host: opts.host, port, ...(tls ? { tls } : {}) });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`cannot listen on ${opts.host}:${port} (${code}); choose another --port or --host`);
        if (tls) throw new UsageError(`--tls-cert/--tls-key: cannot be used (${(err as Error).message.split('\n')[0]}); pass a PEM certificate and its key`);
        throw err;
      }
      const paths = [...site.entries.keys()].join(' ');
      ctx.stdout.write(`serving ${site.issuer} at ${server.url} (${paths})\n`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
    }));

  oidc
    .command('thumbprint')
    .description('the SHA-1 thumbprint IAM stores for an OIDC provider: top intermediate CA of the served chain, lowercase hex')
    .argument('<url>', 'https://HOST[/PATH] (the host serving jwks_uri)')
    .option('--ca-file <file>', 'PEM CA bundle to trust (private CAs)')
    .action(flagAction({ ca: '--ca-file' }, async (url: string, opts: { caFile?: string }, _command: Command) => {
      const ca = opts.caFile === undefined ? undefined : await readTextFile(ctx.cwd, opts.caFile, '--ca-file');
      const result = await fetchIssuerThumbprint(url, ca === undefined ? {} : { ca });
      ctx.stdout.write(`${result.thumbprint}\n`);
      ctx.stderr.write(`thumbprint of ${result.subject}\n`);
    }));
};
