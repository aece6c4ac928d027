/**
 * `irsa exec … -- COMMAND`: runs a command as a container of a pod would run on a node: the pod is mutated like the
 * webhook would (same engine and flags as `irsa inject`), every projected service-account token the container mounts
 * is minted into a private temporary directory and refreshed like the kubelet does, the container's env is set with
 * paths into those mounts rewritten, signals are forwarded, and the command's exit code is returned. What to mint,
 * where, and the command's environment are planned by `planPodRun`/`placePodRun` (src/kube/pod-run.ts); this module
 * reads the files, mints, starts the command and forwards signals.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, readFile, rm } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  documentValue,
  findPods,
  getAt,
  isPodMutated,
  parseManifests,
  placePodRun,
  planPodRun,
  podServiceAccount,
  TokenRefresher,
  type PodRunToken,
  type PodSpecLike,
  type ServiceAccountInfo,
} from '../kube/index.js';
import { UsageError } from '../lib/errors.js';
import {
  createSigningKey,
  generateSigningKeyPair,
  mintServiceAccountToken,
  readSigningKeyFile,
  validateIssuerUrl,
  type SigningKey,
} from '../oidc/index.js';
import { signingKeyFlags, type CliContext } from './context.js';
import type { RegisterCommand } from './commands.js';
import { createExecDir, recordCommandGroup, removeStaleExecDirs } from './exec-dirs.js';
import { setExitCode } from './exit-code.js';
import { flagAction } from './field-flags.js';
import { addMutationOptions, checkManifestDepth, loadInjector, namespaceFlag, type MutationFlagValues } from './mutation-flags.js';
import { isRecord } from '../lib/is-record.js';
import { MIN_TOKEN_EXPIRATION_SECONDS, STS_AUDIENCE, WEB_IDENTITY_VOLUME_NAME } from '../lib/wire-names.js';

/** Issuer of tokens minted with the ephemeral key when no `--issuer` is given. */
export const EPHEMERAL_ISSUER = 'https://irsa-exec.invalid';

/** The flag that fills each field of the libraries `irsa exec` calls. */
const EXEC_FIELD_FLAGS = { containerName: '--container', awsEndpoint: '--aws-endpoint', issuer: '--issuer' } as const;

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

interface ExecOptions extends MutationFlagValues {
  pod?: string;
  container?: string;
  signingKey?: string;
  issuer?: string;
  awsEndpoint?: string;
  serviceAccount?: string;
  roleArn?: string;
  audience?: string;
  verbose?: boolean;
  unsafeTokenLifetime?: string;
  allowNoIdentity?: boolean;
}

/** A pod whose ServiceAccount is unknown would run with no AWS identity at all: say so unless that is what is wanted. */
function requireServiceAccount(pod: Record<string, unknown>, defaultNamespace: string, known: readonly ServiceAccountInfo[], shown: string): void {
  const { namespace, name } = podServiceAccount(pod, defaultNamespace);
  if (known.some((sa) => sa.namespace === namespace && sa.name === name)) return;
  throw new UsageError(`--pod ${shown}: ServiceAccount ${namespace}/${name} not found (${known.length} known); pass its manifest with --service-accounts, or --allow-no-identity to run without an AWS identity`);
}


export async function readPod(path: string, shown: string, defaultNamespace: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--pod ${shown}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
  }
  const set = parseManifests(text, shown);
  const found: Array<{ pod: Record<string, unknown>; namespace: string | undefined; name: string }> = [];
  for (const doc of set.documents) {
    const value = documentValue(doc);
    checkManifestDepth(value, shown, doc.index);
    for (const loc of findPods(value, shown, doc.index)) {
      const pod = getAt(value, loc.path);
      if (isRecord(pod)) found.push({ pod, namespace: loc.namespace, name: loc.name });
    }
  }
  if (found.length === 0) throw new UsageError(`--pod ${shown}: no Pod or pod template found; pass a Pod (or Deployment, Job, …) manifest`);
  if (found.length > 1) throw new UsageError(`--pod ${shown}: holds ${found.length} pods (${found.map((f) => f.name).join(', ')}); keep the one to run in the file`);
  const { pod, namespace } = structuredClone(found[0]!);
  const metadata = isRecord(pod.metadata) ? pod.metadata : {};
  if (typeof metadata.namespace !== 'string' || metadata.namespace === '') metadata.namespace = namespace ?? defaultNamespace;
  pod.metadata = metadata;
  return pod;
}

async function loadSigningKey(opts: ExecOptions, ctx: CliContext): Promise<{ key: SigningKey; issuer: string }> {
  const { keyPath, issuer: issuerUrl } = signingKeyFlags(opts, ctx);
  if (keyPath !== undefined) {
    if (issuerUrl === undefined) throw new UsageError('--signing-key needs --issuer (the iss the tokens carry, the issuer STS trusts; IRSA_ISSUER also works)');
    validateIssuerUrl(issuerUrl, opts.issuer !== undefined ? 'issuer' : 'IRSA_ISSUER');
    return { key: await readSigningKeyFile(resolve(ctx.cwd, keyPath)), issuer: issuerUrl };
  }
  const issuer = issuerUrl ?? EPHEMERAL_ISSUER;
  validateIssuerUrl(issuer, opts.issuer !== undefined || issuerUrl === undefined ? 'issuer' : 'IRSA_ISSUER');
  const key = createSigningKey(generateSigningKeyPair({ type: 'ec' }).privateKey);
  ctx.stderr.write(`irsa: exec: no --signing-key: tokens are signed with an ephemeral key (kid ${key.kid}, iss ${issuer}); nothing trusts it unless you publish it\n`);
  return { key, issuer };
}

function parseLifetime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--unsafe-token-lifetime ${JSON.stringify(value)}: use a whole number of seconds`);
  return Number(value);
}

/** Starts the child; rejects with a UsageError when it cannot be started. */
async function startChild(argv: string[], env: NodeJS.ProcessEnv, ctx: CliContext): Promise<ChildProcess> {
  const inherit = ctx.stdout === process.stdout;
  const child = spawn(argv[0]!, argv.slice(1), {
    env,
    cwd: ctx.cwd,
    stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: a later irsa exec can stop all of it if this irsa is killed
  });
  if (!inherit) {
    // decode as a stream: a UTF-8 character may be split across chunks
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => ctx.stdout.write(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => ctx.stderr.write(chunk));
  }
  await new Promise<void>((done, fail) => {
    child.once('spawn', () => done());
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') fail(new UsageError(`${argv[0]}: command not found; check the name and PATH`));
      else if (err.code === 'EACCES') fail(new UsageError(`${argv[0]}: permission denied; make it executable`));
      else fail(new UsageError(`${argv[0]}: cannot be started (${err.code ?? err.message})`));
    });
  });
  return child;
}

/** Waits for the child and returns its exit code (128 + signal number when a signal ended it). */
function waitForChild(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    child.once('close', (code, signal) => {
      if (code !== null) done(code);
      else done(128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  });
}

/** Registers `irsa exec`. */
export const registerExecCommand: RegisterCommand = (program, ctx) => {
  const command = program
    .command('exec')
    .description('run COMMAND as a container of a pod would: minted and refreshed token files, the container env, signals forwarded')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('--pod <file>', 'Pod (or workload) manifest; mutated first unless it already is')
    .option('--container <name>', 'container to run as (default: the default-container annotation, else the first)')
    .option('--signing-key <file>', 'PEM private signing key of the issuer (default: $IRSA_SIGNING_KEY, else an ephemeral key)')
    .option('--issuer <url>', 'issuer URL the tokens carry as iss (default: $IRSA_ISSUER)')
    .option('--aws-endpoint <url>', 'set AWS_ENDPOINT_URL for SDKs that honour it (e.g. the local plane of irsa up)')
    .option('--service-account <name>', 'without --pod: the service account to run as (with --role-arn)')
    .option('--role-arn <arn>', 'without --pod: the role the service account is annotated with')
    .option('--audience <aud>', `without --pod: token audience (default --token-audience, ${STS_AUDIENCE})`)
    .option('--allow-no-identity', 'with --pod: run even when its ServiceAccount is not among --service-accounts (no AWS identity)')
    .option('-v, --verbose', 'say which token files are written and refreshed');
  command.addOption(new Option('--unsafe-token-lifetime <seconds>', `test only: mint every token with this lifetime, below the ${MIN_TOKEN_EXPIRATION_SECONDS} s minimum`).hideHelp());
  addMutationOptions(command);
  command.action(flagAction(EXEC_FIELD_FLAGS, async (argv: string[], opts: ExecOptions, cmd: Command) => {
    const lifetime = parseLifetime(opts.unsafeTokenLifetime);
    const defaultNamespace = namespaceFlag(opts);
    const injector = await loadInjector(opts, ctx);
    for (const w of injector.loadWarnings) ctx.stderr.write(`irsa: warning: ${w}\n`);
    const prefix = injector.settings.annotationPrefix;
    let pod: Record<string, unknown>;
    const extra: ServiceAccountInfo[] = [];
    if (opts.pod !== undefined) {
      if (opts.serviceAccount !== undefined || opts.roleArn !== undefined || opts.audience !== undefined) {
        throw new UsageError('--service-account/--role-arn/--audience describe the identity without --pod; with --pod annotate the ServiceAccount (--service-accounts) instead');
      }
      pod = await readPod(resolve(ctx.cwd, opts.pod), opts.pod, defaultNamespace);
    } else {
      if (opts.serviceAccount === undefined || opts.roleArn === undefined) {
        throw new UsageError('pass --pod FILE, or --service-account NAME with --role-arn ARN (and optionally --namespace, --audience)');
      }
      const annotations: Record<string, string> = { [`${prefix}/role-arn`]: opts.roleArn };
      if (opts.audience !== undefined) annotations[`${prefix}/audience`] = opts.audience;
      extra.push({ namespace: defaultNamespace, name: opts.serviceAccount, annotations });
      pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `irsa-exec-${opts.serviceAccount}`.slice(0, 63), namespace: defaultNamespace },
        spec: { serviceAccountName: opts.serviceAccount, containers: [{ name: opts.container ?? 'main' }] },
      };
    }
    const volumeNames = [injector.settings.containerCredentialsTokenVolumeName, WEB_IDENTITY_VOLUME_NAME];
    const alreadyMutated = isPodMutated(pod as PodSpecLike, opts.container, volumeNames);
    if (!alreadyMutated) {
      const result = injector.mutatePodObject(pod, defaultNamespace, extra);
      // an identity from the ConfigMap shows as a patch; otherwise the ServiceAccount must be one we know
      if (opts.pod !== undefined && result.patch.length === 0 && opts.allowNoIdentity !== true) requireServiceAccount(pod, defaultNamespace, injector.serviceAccounts, opts.pod);
      for (const w of result.warnings) ctx.stderr.write(`irsa: warning: ${w}\n`);
      pod = result.pod;
    }
    // everything that can be refused is refused here, before a key is loaded or a file written
    const plan = planPodRun(pod as PodSpecLike, {
      ...(opts.container !== undefined ? { containerName: opts.container } : {}),
      defaultNamespace,
      serviceAccounts: [...extra, ...injector.serviceAccounts],
      env: ctx.env,
      ...(opts.awsEndpoint !== undefined ? { awsEndpoint: opts.awsEndpoint } : {}),
      ...(lifetime !== undefined ? { lifetimeSeconds: lifetime } : {}),
    });
    const { key, issuer } = plan.tokens.length > 0 ? await loadSigningKey(opts, ctx) : { key: undefined, issuer: '' };
    const podRef = { name: plan.podName ?? 'irsa-exec', uid: plan.podUid ?? randomUUID() };

    for (const note of await removeStaleExecDirs()) ctx.stderr.write(`irsa: exec: ${note}\n`);
    const dir = await createExecDir();
    let refresher: TokenRefresher | undefined;
    let child: ChildProcess | undefined;
    let early: NodeJS.Signals | undefined;
    // Handled from now until the directory is gone, so no signal ends irsa with the token directory or an orphaned
    // command left behind: forwarded once the command runs; before that, one that would end it means it never starts.
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const signal of FORWARDED_SIGNALS) {
      const handler = (): void => {
        if (child !== undefined) child.kill(signal);
        else if (signal !== 'SIGWINCH') early ??= signal;
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    try {
      await chmod(dir, 0o700);
      const local = placePodRun(plan, dir);
      const mint = (token: PodRunToken) => async () => {
        const minted = await mintServiceAccountToken({
          signingKey: key!,
          issuer,
          namespace: plan.namespace,
          serviceAccountName: plan.serviceAccountName,
          ...(plan.serviceAccountUid ? { serviceAccountUid: plan.serviceAccountUid } : {}),
          audiences: [token.audience ?? issuer],
          expirationSeconds: token.expirationSeconds,
          ...(lifetime !== undefined ? { minExpirationSeconds: 1 } : {}),
          expirationField: `volume ${token.file.volumeName} expirationSeconds`,
          pod: podRef,
          ...(plan.nodeName ? { node: { name: plan.nodeName } } : {}),
        });
        return {
          token: minted.token,
          issuedAt: minted.issuedAt,
          expiresAt: new Date(minted.issuedAt.getTime() + minted.expirationSeconds * 1000),
          expirationSeconds: minted.expirationSeconds,
        };
      };
      refresher = new TokenRefresher({
        files: local.tokens.map((t) => ({ path: t.localPath, mint: mint(t) })),
        onRefresh: (path, token) => {
          if (opts.verbose) ctx.stderr.write(`irsa: exec: wrote ${path} (expires ${token.expiresAt.toISOString()})\n`);
        },
        onError: (path, err) => ctx.stderr.write(`irsa: exec: refreshing ${path} failed: ${(err as Error).message}\n`),
      });
      await refresher.start();
      if (opts.verbose) {
        for (const t of local.tokens) ctx.stderr.write(`irsa: exec: ${t.file.containerPath} -> ${t.localPath} (aud ${t.audience ?? issuer})\n`);
        if (plan.dropped.length > 0) ctx.stderr.write(`irsa: exec: not passing ${plan.dropped.join(', ')} (they would take precedence over the pod's web identity)\n`);
      }
      let exited: Promise<number> | undefined;
      if (early === undefined) {
        child = await startChild(argv, local.env, ctx);
        exited = waitForChild(child); // listening before any other await, so a quick exit is not missed
        if (child.pid !== undefined) await recordCommandGroup(dir, child.pid);
      }
      if (early !== undefined) {
        if (child === undefined) {
          setExitCode(cmd, 128 + (osConstants.signals[early] ?? 0)); // the command never ran
          return;
        }
        child.kill(early); // arrived while it was starting
      }
      setExitCode(cmd, await exited!);
    } finally {
      await refresher?.stop();
      await rm(dir, { recursive: true, force: true });
      for (const [signal, handler] of handlers) process.off(signal, handler);
    }
  }));
};
