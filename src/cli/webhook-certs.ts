/**
 * `irsa webhook certs --out DIR`: a CA and a serving certificate for the webhook Service, for clusters without
 * cert-manager (deploy/overlays/self-signed). Writes `ca.crt`, `ca.key`, `tls.crt`, `tls.key`; prints the
 * caBundle (base64 of `ca.crt`) on stdout, so `CA_BUNDLE=$(irsa webhook certs --out DIR)` works.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../lib/errors.js';
import { isDns1123Label, isNamespaceName } from '../lib/k8s-names.js';
import { assertPemKeyStrength } from '../oidc/index.js';
import {
  createWebhookCertificates,
  DEFAULT_WEBHOOK_NAMESPACE,
  DEFAULT_WEBHOOK_SERVICE_NAME,
  writeWebhookCertificates,
} from '../webhook/certs.js';

export interface WebhookCertsCommandOptions {
  out: string;
  serviceName: string;
  namespace: string;
  days: string;
  dnsName: string[];
  ip: string[];
  localhost: boolean;
  caCert?: string;
  caKey?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * The action of `irsa webhook certs`, callable in-process. Returns the exit code.
 * @example
 * await webhookCertsAction({ out: 'certs', serviceName: 'pod-identity-webhook', namespace: 'eks', days: '365', dnsName: [], ip: [], localhost: false }, ctx);
 */
export async function webhookCertsAction(options: WebhookCertsCommandOptions, ctx: CliContext): Promise<number> {
  if (!options.out) throw new UsageError('--out DIR is required: the directory to write ca.crt, ca.key, tls.crt and tls.key into');
  if (!/^\d+$/.test(options.days) || Number(options.days) < 1) throw new UsageError(`--days must be a positive whole number of days, got ${JSON.stringify(options.days)}`);
  for (const ip of options.ip) if (isIP(ip) === 0) throw new UsageError(`--ip ${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
  if (Boolean(options.caCert) !== Boolean(options.caKey)) throw new UsageError('--ca-cert and --ca-key go together: pass both to sign with an existing CA, or neither to create one');
  if (!isDns1123Label(options.serviceName)) throw new UsageError(`--service-name ${JSON.stringify(options.serviceName)} is not a valid Service name (lowercase letters, digits, '-')`);
  if (!isNamespaceName(options.namespace)) throw new UsageError(`--namespace ${JSON.stringify(options.namespace)} is not a valid namespace name (lowercase letters, digits, '-')`);

  let ca: { cert: string; key: string } | undefined;
  if (options.caCert && options.caKey) {
    try {
      ca = { cert: await readFile(resolve(ctx.cwd, options.caCert), 'utf8'), key: await readFile(resolve(ctx.cwd, options.caKey), 'utf8') };
    } catch (err) {
      throw new UsageError(`cannot read the CA: ${(err as Error).message}`, { cause: err });
    }
    assertPemKeyStrength(ca.key, `--ca-key ${options.caKey}`);
  }
  let certs;
  try {
    certs = createWebhookCertificates({
      serviceName: options.serviceName,
      namespace: options.namespace,
      days: Number(options.days),
      dnsNames: options.dnsName,
      ipAddresses: options.ip,
      localhost: options.localhost,
      ...(ca ? { ca } : {}),
    });
  } catch (err) {
    if (ca) throw new UsageError(`--ca-cert/--ca-key are not a PEM certificate and RSA private key: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  const dir = resolve(ctx.cwd, options.out);
  let paths;
  try {
    paths = await writeWebhookCertificates(dir, certs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UsageError(`--out ${options.out}: is a file, not a directory; choose another --out`, { cause: err });
    throw new UsageError(`--out ${options.out}: cannot write the certificates (${code}); choose a writable --out`, { cause: err });
  }
  ctx.stderr.write(`wrote ${paths.caCert}, ${paths.caKey}, ${paths.cert}, ${paths.key}\n`);
  ctx.stderr.write(`serving certificate for ${[...certs.dnsNames, ...certs.ipAddresses].join(', ')}\n`);
  ctx.stderr.write('caBundle (base64 of ca.crt) for the MutatingWebhookConfiguration:\n');
  ctx.stdout.write(`${certs.caBundle}\n`);
  return 0;
}

/**
 * Adds `certs` under the `irsa webhook` command.
 * @example
 * registerWebhookCertsCommand(program.command('webhook'), ctx);
 */
export function registerWebhookCertsCommand(webhook: Command, ctx: CliContext): Command {
  return webhook
    .command('certs')
    .description('write a CA and a serving certificate for the webhook Service (no cert-manager needed); prints the caBundle')
    .addOption(new Option('--out <dir>', 'directory for ca.crt, ca.key, tls.crt, tls.key').makeOptionMandatory())
    .option('--service-name <name>', 'Service name', DEFAULT_WEBHOOK_SERVICE_NAME)
    .option('--namespace <ns>', 'Service namespace', DEFAULT_WEBHOOK_NAMESPACE)
    .option('--days <n>', 'serving certificate lifetime in days (the CA lives 10 years)', '365')
    .option('--dns-name <name>', 'extra DNS name (repeatable)', collect, [])
    .option('--ip <address>', 'IP address SAN (repeatable)', collect, [])
    .option('--localhost', 'also valid for localhost, 127.0.0.1 and ::1', false)
    .option('--ca-cert <file>', 'sign with this CA certificate (renew the serving certificate only)')
    .option('--ca-key <file>', 'private key of --ca-cert')
    .action(async (opts: WebhookCertsCommandOptions) => {
      await webhookCertsAction(opts, ctx);
    });
}
