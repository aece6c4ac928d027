/**
 * One admission, without HTTP: a decoded review → ServiceAccount lookup in the identity store → identity
 * resolution → pod mutation → the response (patch, warnings). The HTTP server, metrics and logs wrap it.
 * @module
 */
import { isRecord } from '../lib/is-record.js';
import type { DecodedAdmissionReview, AdmissionResponse } from './admission.js';
import type { MutationSettings } from './constants.js';
import type { IdentityStore, LookupSource } from './identity-store.js';
import { resolveIdentity, type ResolvedIdentity } from './identity.js';
import type { MutationErrorStage } from './metrics.js';
import { mutatePod } from './mutate.js';

export interface AdmissionHandlerOptions {
  store: IdentityStore;
  /** The mutation flags (`--annotation-prefix`, `--token-*`, `--aws-default-region`, …). */
  settings: MutationSettings;
  /** `--service-account-lookup-grace-period` in ms, only to word the miss warning. */
  lookupGracePeriodMs: number;
  /** Random source for the container-credentials expiration jitter (`Math.random`-like, in [0, 1)). */
  random?: () => number;
}

/** What happened to one admission: the response, plus what the shell logs and counts. */
export interface AdmissionOutcome {
  response: AdmissionResponse;
  namespace: string;
  serviceAccountName: string;
  /** The pod's name (falls back to `generateName`, as upstream logs it). */
  podName: string;
  /** How the ServiceAccount lookup was answered ('skipped' when the pod names none). */
  lookup: LookupSource | 'skipped';
  identity: ResolvedIdentity | undefined;
  /** The pod was admitted without credentials because its ServiceAccount was not found after the grace period. */
  missedServiceAccount: boolean;
  /** The mutation engine failed on this pod (admitted unchanged with a warning; logged and counted by the shell). */
  error?: Error;
  /** Where `error` happened: the engine (default) or the server's response encoding. */
  errorStage?: MutationErrorStage;
}

/**
 * Admits pods: the part of the webhook between the decoded review and the encoded response. The patch in the
 * outcome shares unchanged sub-objects with `review.request.object`: encode it, do not modify either.
 */
export interface AdmissionHandler {
  admit(review: DecodedAdmissionReview): Promise<AdmissionOutcome>;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** The warning kubectl prints when the webhook could not mutate a pod (engine or encoding failure). */
export function engineFailureWarning(err: Error): string {
  return `pod identity webhook could not mutate this pod (${err.message}); admitted without AWS IAM credentials`;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Builds the admission handler over an identity store. Never denies a pod: an unknown ServiceAccount or an
 * engine failure admits the pod unchanged, with a warning kubectl prints.
 * @example
 * const handler = createAdmissionHandler({ store, settings: defaultMutationSettings(), lookupGracePeriodMs: 2000 });
 * const { response } = await handler.admit(decodeAdmissionReview(body));
 */
export function createAdmissionHandler(options: AdmissionHandlerOptions): AdmissionHandler {
  const { store, settings } = options;
  const random = options.random ?? Math.random;
  // Structural sharing: the patch reuses the pod's unchanged sub-objects instead of deep-copying them (same patch,
  // several times less work); safe because the server serialises the patch at once and nobody modifies either.
  const mutateOptions = { annotationPrefix: settings.annotationPrefix, awsDefaultRegion: settings.awsDefaultRegion, structuralSharing: true };
  const within = options.lookupGracePeriodMs > 0 ? ` within ${formatDuration(options.lookupGracePeriodMs)}` : '';

  async function admit(review: DecodedAdmissionReview): Promise<AdmissionOutcome> {
    const request = review.request;
    const pod = request.object;
    const metadata = asRecord(pod.metadata);
    const spec = asRecord(pod.spec);
    const namespace = request.namespace ?? (typeof metadata?.namespace === 'string' ? metadata.namespace : '');
    const serviceAccountName = typeof spec?.serviceAccountName === 'string' ? spec.serviceAccountName : '';
    const podName = typeof metadata?.name === 'string' && metadata.name !== ''
      ? metadata.name
      : typeof metadata?.generateName === 'string' ? metadata.generateName : '';
    const outcome: AdmissionOutcome = {
      response: { uid: request.uid, allowed: true },
      namespace,
      serviceAccountName,
      podName,
      lookup: 'skipped',
      identity: undefined,
      missedServiceAccount: false,
    };
    if (serviceAccountName === '') return outcome;

    const lookup = await store.lookupServiceAccount(namespace, serviceAccountName);
    outcome.lookup = lookup.source;
    // The one catch around the engine (identity resolution and mutation): a failure there is a bug; the pod is admitted
    // unchanged with a warning (as upstream admits pods it cannot mutate) and the shell logs and counts `error`.
    try {
      const identity = resolveIdentity({
        namespace,
        serviceAccountName,
        serviceAccount: lookup.serviceAccount,
        configMap: store.configMapEntries(),
        containerCredentials: store.containerCredentials(),
        options: settings,
      });
      if (identity === undefined) {
        if (lookup.source === 'miss') {
          outcome.missedServiceAccount = true;
          outcome.response.warnings = [
            `ServiceAccount ${namespace}/${serviceAccountName} not found${within}: pod admitted without AWS IAM credentials; recreate it once the ServiceAccount exists`,
          ];
        }
        return outcome;
      }
      outcome.identity = identity;
      // The request's namespace (which wins over the pod's own) only matters for the lookup above: mutatePod never reads it.
      const result = mutatePod(pod, identity, mutateOptions, random);
      if (result.patch.length > 0) outcome.response.patch = result.patch;
      if (result.warnings.length > 0) outcome.response.warnings = result.warnings;
    } catch (err) {
      outcome.error = err instanceof Error ? err : new Error(String(err));
      outcome.identity = undefined;
      outcome.response.patch = undefined;
      outcome.response.warnings = [engineFailureWarning(outcome.error)];
    }
    return outcome;
  }

  return { admit };
}
