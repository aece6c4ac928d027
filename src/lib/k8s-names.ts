/**
 * The one home of Kubernetes name rules: DNS-1123 labels and subdomains, namespace and ServiceAccount names, and the
 * `system:serviceaccount:NS:NAME` subject a service-account token carries. Every area imports these instead of
 * writing its own regex. Pure predicates; callers choose their own error and field.
 * @module
 */

/** `sub` prefix of service-account tokens (and the user name the API server gives a ServiceAccount). */
export const SERVICE_ACCOUNT_SUBJECT_PREFIX = 'system:serviceaccount:';

/** Longest DNS-1123 label (namespaces, Service names). */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** Longest DNS-1123 subdomain (most object names, ServiceAccounts, Secrets). */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A DNS-1123 label as Kubernetes' `IsDNS1123Label` checks it: lowercase alphanumerics and `-`, alphanumeric at both
 * ends, at most 63 characters.
 * @example
 * isDns1123Label('kube-system') // true
 */
export function isDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX_LENGTH && LABEL.test(value);
}

/**
 * A DNS-1123 subdomain as Kubernetes' `IsDNS1123Subdomain` checks it: dot-separated labels, at most 253 characters
 * (`a..b` and `a.-b` are not).
 * @example
 * isDns1123Subdomain('my.app') // true
 */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX_LENGTH && SUBDOMAIN.test(value);
}

/** A namespace name (a DNS-1123 label). */
export function isNamespaceName(value: string): boolean {
  return isDns1123Label(value);
}

/** A ServiceAccount name (a DNS-1123 subdomain, as the API server validates it). */
export function isServiceAccountName(value: string): boolean {
  return isDns1123Subdomain(value);
}

/** The namespace and name a service-account subject names. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/**
 * The token subject of a ServiceAccount: `system:serviceaccount:NS:NAME`.
 * @example
 * serviceAccountSubject('default', 'app') // 'system:serviceaccount:default:app'
 */
export function serviceAccountSubject(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_SUBJECT_PREFIX}${namespace}:${name}`;
}

/**
 * Splits `system:serviceaccount:NS:NAME`; `undefined` for any other subject or when NS or NAME is not a valid name.
 * @example
 * parseServiceAccountSubject('system:serviceaccount:team:app') // { namespace: 'team', name: 'app' }
 */
export function parseServiceAccountSubject(sub: string): ServiceAccountRef | undefined {
  if (!sub.startsWith(SERVICE_ACCOUNT_SUBJECT_PREFIX)) return undefined;
  const rest = sub.slice(SERVICE_ACCOUNT_SUBJECT_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon < 0) return undefined;
  const namespace = rest.slice(0, colon);
  const name = rest.slice(colon + 1);
  return isNamespaceName(namespace) && isServiceAccountName(name) ? { namespace, name } : undefined;
}
