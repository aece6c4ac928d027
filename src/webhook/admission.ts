/**
 * AdmissionReview (`admission.k8s.io/v1` and `v1beta1`, identical shapes) to and from plain values: decode and
 * validate a request body, encode the response review the API server expects (TypeMeta echoed, uid echoed).
 * @module
 */
import { isRecord } from '../lib/is-record.js';
import { AdmissionReviewError } from './errors.js';
import { jsonDepthExceededAt, MAX_JSON_DEPTH } from './json-depth.js';
import { stringifyPatch } from './patch-json.js';

/** The review API versions the webhook answers (the API server sends the first one the configuration lists). */
export const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number];

/** The request half of an AdmissionReview, as far as the webhook reads it. */
export interface AdmissionRequest {
  uid: string;
  namespace?: string;
  name?: string;
  operation?: string;
  /**
   * The Pod being admitted (raw JSON object). From the server's fast path (`scanAdmissionReview`) it holds only the
   * members the mutation reads, and its containers carry their raw JSON: encode the patch with
   * `encodeAdmissionReview`, which splices it back.
   */
  object: Record<string, unknown>;
  dryRun?: boolean;
}

/** A decoded review: the TypeMeta to echo (absent in ⇒ absent out) and the request. */
export interface DecodedAdmissionReview {
  apiVersion?: string;
  kind?: string;
  request: AdmissionRequest;
}

/** What the webhook answers for one request. `patch` is the JSON Patch operations (encoded here). */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patch?: readonly unknown[] | undefined;
  warnings?: readonly string[] | undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Parses and checks a request body. Throws AdmissionReviewError with a message saying what is wrong when the
 * body is not JSON, not an AdmissionReview (wrong apiVersion/kind), has no `request`, no string `request.uid`,
 * no Pod object in `request.object`, or nests deeper than MAX_JSON_DEPTH (checked before parsing). `apiVersion`/`kind` may be absent (older API servers, upstream tests).
 * @example
 * const review = decodeAdmissionReview(body);
 * review.request.uid; // '918ef1dc-…'
 */
export function decodeAdmissionReview(body: string | Buffer): DecodedAdmissionReview {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.length === 0) throw new AdmissionReviewError('empty body: expected an AdmissionReview (admission.k8s.io/v1) as JSON');
  const deepAt = jsonDepthExceededAt(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  if (deepAt >= 0) {
    throw new AdmissionReviewError(`body nests arrays/objects deeper than ${MAX_JSON_DEPTH} levels (at byte ${deepAt}): the webhook refuses JSON nested deeper than ${MAX_JSON_DEPTH}; a Pod needs fewer than 20`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new AdmissionReviewError(`body is not valid JSON (${(cause as Error).message}): expected an AdmissionReview (admission.k8s.io/v1)`, { cause });
  }
  if (!isRecord(parsed)) throw new AdmissionReviewError(`body is ${describe(parsed)}, expected an AdmissionReview object`);
  const { apiVersion, kind, request } = parsed;
  if (apiVersion !== undefined && !(ADMISSION_API_VERSIONS as readonly unknown[]).includes(apiVersion)) {
    throw new AdmissionReviewError(`apiVersion ${JSON.stringify(apiVersion)} is not supported: send admission.k8s.io/v1 or admission.k8s.io/v1beta1 (admissionReviewVersions in the MutatingWebhookConfiguration)`);
  }
  if (kind !== undefined && kind !== 'AdmissionReview') {
    throw new AdmissionReviewError(`kind ${JSON.stringify(kind)} is not AdmissionReview`);
  }
  if (!isRecord(request)) {
    throw new AdmissionReviewError(request === undefined ? 'AdmissionReview has no request' : `AdmissionReview request is ${describe(request)}, expected an object`);
  }
  if (typeof request.uid !== 'string') {
    throw new AdmissionReviewError(request.uid === undefined ? 'AdmissionReview request has no uid' : `AdmissionReview request.uid is ${describe(request.uid)}, expected a string`);
  }
  const object = request.object;
  if (!isRecord(object)) {
    throw new AdmissionReviewError(object === undefined ? 'AdmissionReview request has no object (the Pod)' : `AdmissionReview request.object is ${describe(object)}, expected a Pod object`);
  }
  if (object.kind !== undefined && object.kind !== 'Pod') {
    throw new AdmissionReviewError(`AdmissionReview request.object is a ${String(object.kind)}, this webhook admits Pods (rules: resources [pods])`);
  }
  const out: AdmissionRequest = { uid: request.uid, object };
  if (typeof request.namespace === 'string') out.namespace = request.namespace;
  if (typeof request.name === 'string') out.name = request.name;
  if (typeof request.operation === 'string') out.operation = request.operation;
  if (request.dryRun === true) out.dryRun = true;
  const review: DecodedAdmissionReview = { request: out };
  if (typeof kind === 'string') review.kind = kind;
  if (typeof apiVersion === 'string') review.apiVersion = apiVersion;
  return review;
}

/**
 * Standard base64 of the patch's JSON in UTF-8 (containers from the fast path spliced from their raw JSON,
 * patch-json.ts). ASCII-only JSON (the usual patch: its UTF-8 length equals its string length only then) goes
 * through `btoa`, which encodes the string directly; that skips the intermediate UTF-8 Buffer, the larger cost
 * (13 KB patch: 13 µs → 3 µs). Other JSON goes through UTF-8 bytes (btoa would take its characters as Latin-1).
 */
function base64Json(patch: readonly unknown[]): string {
  const json = stringifyPatch(patch);
  return Buffer.byteLength(json, 'utf8') === json.length ? btoa(json) : Buffer.from(json, 'utf8').toString('base64');
}

/**
 * Encodes the response review: `kind`, `apiVersion` copied from the request (omitted if it had none),
 * `response` with `uid`, `allowed`, then `patch` (standard base64) and `patchType: JSONPatch` when there is a
 * patch, then `warnings` when there are any (kubectl prints them). Key order follows upstream's Go encoding.
 * @example
 * encodeAdmissionReview(review, { uid: review.request.uid, allowed: true, patch: [{ op: 'add', path: '/x', value: 1 }] });
 */
export function encodeAdmissionReview(typeMeta: { apiVersion?: string | undefined; kind?: string | undefined }, response: AdmissionResponse): string {
  let out = '{';
  if (typeMeta.kind !== undefined) out += `"kind":${JSON.stringify(typeMeta.kind)},`;
  if (typeMeta.apiVersion !== undefined) out += `"apiVersion":${JSON.stringify(typeMeta.apiVersion)},`;
  out += `"response":{"uid":${JSON.stringify(response.uid)},"allowed":${response.allowed ? 'true' : 'false'}`;
  if (response.patch !== undefined && response.patch.length > 0) {
    out += `,"patch":"${base64Json(response.patch)}","patchType":"JSONPatch"`;
  }
  if (response.warnings !== undefined && response.warnings.length > 0) out += `,"warnings":${JSON.stringify(response.warnings)}`;
  return `${out}}}`;
}
