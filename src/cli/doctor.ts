/**
 * `irsa doctor`: checks the chain from where the SDK stands. Inside a pod (or under `irsa exec`) it reads the
 * process's environment and token file; with `--pod FILE` it applies the webhook's mutation (as `irsa inject`
 * does), takes the container's environment and mints the token the kubelet would. One line per check, a fix per
 * failure, exit 1 on any failure; `--json` for machines.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  createFetchText,
  createSdkStsClient,
  runDoctor,
  type CheckResult,
  type DoctorInput,
  type DoctorReport,
  type IssuerLocation,
} from '../kube/doctor/index.js';
import { checkAwsEndpoint, isPodMutated, planPodRun, type PodSpecLike } from '../kube/index.js';
import { UsageError } from '../lib/errors.js';
import { flagError } from './field-flags.js';
import { mintServiceAccountToken, readSigningKeyFile, validateIssuerUrl } from '../oidc/index.js';
import type { RegisterCommand } from './commands.js';
import { signingKeyFlags, type CliContext } from './context.js';
import { readPod } from './exec.js';
import { setExitCode } from './exit-code.js';
import { addMutationOptions, loadInjector, namespaceFlag, type MutationFlagValues } from './mutation-flags.js';
import { serviceAccountSubject } from '../lib/k8s-names.js';
import { ENV_WEB_IDENTITY_TOKEN_FILE, STS_AUDIENCE, WEB_IDENTITY_VOLUME_NAME } from '../lib/wire-names.js';

/** The flag that fills each field of the libraries `irsa doctor --pod` calls. */
const DOCTOR_FIELD_FLAGS = { containerName: '--container', awsEndpoint: '--aws-endpoint', issuer: '--issuer' } as const;

interface DoctorOptions extends MutationFlagValues {
  pod?: string;
  container?: string;
  signingKey?: string;
  issuer?: string;
  awsEndpoint?: string;
  audience?: string;
  issuerUrl?: string;
  issuerCa?: string;
  sts: boolean;
  json?: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

async function readFlagFile(flag: string, path: string, ctx: CliContext): Promise<Buffer> {
  try {
    return await readFile(resolve(ctx.cwd, path));
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`);
  }
}

/** Where the issuer's documents are fetched: --issuer-url, else `irsa up`'s IRSA_ISSUER_URL for tokens of IRSA_ISSUER. */
async function issuerFetch(opts: DoctorOptions, ctx: CliContext): Promise<{ location?: IssuerLocation; ca?: Buffer }> {
  let location: IssuerLocation | undefined;
  let caPath = opts.issuerCa;
  let caFlag = '--issuer-ca';
  if (opts.issuerUrl !== undefined) {
    if (!/^https?:\/\/[^\s/]+/.test(opts.issuerUrl)) throw new UsageError(`--issuer-url ${JSON.stringify(opts.issuerUrl)}: use an http(s) URL, e.g. https://127.0.0.1:8441`);
    location = { url: opts.issuerUrl };
  } else if (nonEmpty(ctx.env.IRSA_ISSUER_URL) !== undefined) {
    const forIssuer = nonEmpty(ctx.env.IRSA_ISSUER);
    location = { url: ctx.env.IRSA_ISSUER_URL!, ...(forIssuer !== undefined ? { forIssuer } : {}) };
    if (caPath === undefined && nonEmpty(ctx.env.IRSA_WEBHOOK_CA) !== undefined) {
      caPath = ctx.env.IRSA_WEBHOOK_CA!; // irsa up's CA signs the issuer's certificate too
      caFlag = 'IRSA_WEBHOOK_CA';
    }
  }
  const ca = caPath === undefined ? undefined : await readFlagFile(caFlag, caPath, ctx);
  return { ...(location ? { location } : {}), ...(ca ? { ca } : {}) };
}

/** With --pod: the mutated container's environment and the token the kubelet would mint for it. */
async function podInput(opts: DoctorOptions, ctx: CliContext): Promise<{ input: Partial<DoctorInput>; title: string }> {
  const defaultNamespace = namespaceFlag(opts);
  const injector = await loadInjector(opts, ctx);
  for (const w of injector.loadWarnings) ctx.stderr.write(`irsa: warning: ${w}\n`);
  let pod = await readPod(resolve(ctx.cwd, opts.pod!), opts.pod!, defaultNamespace);
  const prelude: CheckResult[] = [];
  const volumeNames = [injector.settings.containerCredentialsTokenVolumeName, WEB_IDENTITY_VOLUME_NAME];
  if (isPodMutated(pod as PodSpecLike, opts.container, volumeNames)) {
    prelude.push({ id: 'pod.mutation', status: 'ok', message: 'already mutated (env and projected token present)' });
  } else {
    const result = injector.mutatePodObject(pod, defaultNamespace);
    pod = result.pod;
    if (result.patch.length === 0) {
      prelude.push({ id: 'pod.mutation', status: 'fail', message: `the webhook would not mutate this pod: ${result.warnings.join('; ') || 'no identity found'}`, fix: `annotate the ServiceAccount with ${injector.settings.annotationPrefix}/role-arn (pass its manifest with --service-accounts)` });
    } else {
      const id = result.identity;
      const detail = id !== undefined && 'roleArn' in id ? ` with role ${String((id as { roleArn?: string }).roleArn)}` : '';
      prelude.push({ id: 'pod.mutation', status: 'ok', message: `the webhook mutates it${detail} (${result.patch.length} patch operations)${result.warnings.length ? `; warnings: ${result.warnings.join('; ')}` : ''}` });
    }
  }
  const plan = planPodRun(pod as PodSpecLike, {
    ...(opts.container !== undefined ? { containerName: opts.container } : {}),
    defaultNamespace,
    env: ctx.env,
    ...(opts.awsEndpoint !== undefined ? { awsEndpoint: opts.awsEndpoint } : {}),
  });
  const { container, namespace } = plan;
  const title = `pod ${namespace}/${plan.podName ?? '?'}, container ${container.name}`;
  const input: Partial<DoctorInput> = { env: plan.env, prelude, expectedSubject: serviceAccountSubject(namespace, plan.serviceAccountName), skipSharedProfile: 'the container\'s shared config files are not on this machine (--pod)' };

  const tokenPath = nonEmpty(plan.env[ENV_WEB_IDENTITY_TOKEN_FILE]);
  const file = plan.tokens.find((t) => t.file.containerPath === tokenPath);
  if (tokenPath === undefined) return { input, title };
  if (file === undefined) {
    // replaces the mutation's ok: the pod is not usable as it stands
    prelude.splice(0, prelude.length, { id: 'pod.mutation', status: 'fail', message: `container ${container.name}: AWS_WEB_IDENTITY_TOKEN_FILE=${tokenPath} is not a projected token the container mounts`, fix: `mount the projected serviceAccountToken volume (${WEB_IDENTITY_VOLUME_NAME}) at that path` });
    input.tokenUnavailable = 'no projected token at AWS_WEB_IDENTITY_TOKEN_FILE';
    return { input, title };
  }
  const { keyPath, issuer } = signingKeyFlags(opts, ctx);
  if (keyPath === undefined) {
    input.tokenUnavailable = 'no signing key to mint the pod\'s token: pass --signing-key and --issuer (or source .irsa/env)';
    return { input, title };
  }
  if (issuer === undefined) throw new UsageError('--signing-key needs --issuer (the iss the cluster\'s tokens carry; IRSA_ISSUER also works)');
  validateIssuerUrl(issuer, opts.issuer !== undefined ? 'issuer' : 'IRSA_ISSUER');
  const key = await readSigningKeyFile(resolve(ctx.cwd, keyPath));
  const minted = await mintServiceAccountToken({
    signingKey: key,
    issuer,
    namespace,
    serviceAccountName: plan.serviceAccountName,
    audiences: [file.audience ?? issuer],
    expirationSeconds: file.expirationSeconds,
    expirationField: `volume ${file.file.volumeName} expirationSeconds`,
    pod: { name: plan.podName ?? 'irsa-doctor', ...(plan.podUid ? { uid: plan.podUid } : {}) },
  });
  input.token = { text: minted.token, source: `${tokenPath} (volume ${file.file.volumeName}, minted as the kubelet would)` };
  return { input, title };
}

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

/** The report as people read it: one line per check, the fix under each failure or warning. */
export function formatDoctorReport(report: DoctorReport, title?: string): string {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines: string[] = title === undefined ? [] : [`irsa doctor: ${title}`];
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]}  ${c.id.padEnd(width)}  ${c.message}`);
    if (c.fix !== undefined) lines.push(`${' '.repeat(6 + width)}  fix: ${c.fix}`);
  }
  const { ok, warn, fail, skip } = report.counts;
  lines.push(`${fail === 0 ? 'all checks passed' : `${fail} failed`}: ${ok} ok, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped`);
  return `${lines.join('\n')}\n`;
}

/** Registers `irsa doctor`. */
export const registerDoctorCommand: RegisterCommand = (program, ctx) => {
  const command = program
    .command('doctor')
    .description('check what a pod needs to assume its role: env, token file and claims, issuer, role ARN, STS endpoint, and the STS calls')
    .option('--pod <file>', 'check this Pod (or workload) manifest as the webhook would mutate it, instead of this process')
    .option('--container <name>', 'with --pod: the container (default: the default-container annotation, else the first)')
    .option('--signing-key <file>', 'with --pod: PEM private key to mint the pod\'s token (default: $IRSA_SIGNING_KEY)')
    .option('--issuer <url>', 'with --pod: iss of the minted token (default: $IRSA_ISSUER)')
    .option('--aws-endpoint <url>', 'with --pod: set AWS_ENDPOINT_URL as irsa exec does')
    .option('--audience <aud>', 'the audience the IAM OIDC provider lists', STS_AUDIENCE)
    .option('--issuer-url <url>', 'fetch the discovery document and JWKS from this base URL instead of iss (default: $IRSA_ISSUER_URL for tokens of $IRSA_ISSUER)')
    .option('--issuer-ca <file>', 'PEM CA trusted (besides the system\'s) when fetching the issuer\'s documents (default with $IRSA_ISSUER_URL: $IRSA_WEBHOOK_CA)')
    .option('--no-sts', 'skip the STS calls (offline)')
    .option('--json', 'print the report as JSON');
  addMutationOptions(command).action(async (opts: DoctorOptions, cmd: Command) => {
    if (opts.pod === undefined) {
      const given = [['--container', opts.container], ['--signing-key', opts.signingKey], ['--issuer', opts.issuer], ['--aws-endpoint', opts.awsEndpoint],
        ['--service-accounts', opts.serviceAccounts?.[0]], ['--config-map', opts.configMap]] as const;
      for (const [flag, value] of given) {
        if (value !== undefined) throw new UsageError(`${flag} describes the pod of --pod FILE; without --pod the doctor checks this process's environment`);
      }
    }
    try {
      checkAwsEndpoint(opts.awsEndpoint);
    } catch (err) {
      throw flagError(err, DOCTOR_FIELD_FLAGS);
    }
    if (opts.audience === '') throw new UsageError(`--audience: give the client ID the IAM OIDC provider lists, e.g. ${STS_AUDIENCE}`);
    const fetching = await issuerFetch(opts, ctx);
    let pod: Awaited<ReturnType<typeof podInput>> | undefined;
    try {
      pod = opts.pod !== undefined ? await podInput(opts, ctx) : undefined;
    } catch (err) {
      throw flagError(err, DOCTOR_FIELD_FLAGS);
    }
    const input: DoctorInput = {
      env: ctx.env,
      ...pod?.input,
      audience: opts.audience ?? STS_AUDIENCE,
      ...(fetching.location ? { issuerLocation: fetching.location } : {}),
      ...(opts.sts ? {} : { skipSts: 'skipped (--no-sts)' }),
    };
    const report = await runDoctor(input, {
      now: () => new Date(),
      readFile: (path) => readFile(resolve(ctx.cwd, path)),
      fetchText: createFetchText({ ...(fetching.ca ? { ca: fetching.ca } : {}), timeoutMs: 10_000 }),
      sts: createSdkStsClient(),
      ...(process.getuid ? { uid: process.getuid() } : {}),
    });
    ctx.stdout.write(opts.json ? `${JSON.stringify({ ...(pod ? { target: pod.title } : {}), ...report }, null, 2)}\n` : formatDoctorReport(report, pod?.title));
    setExitCode(cmd, report.ok ? 0 : 1);
  });
};
