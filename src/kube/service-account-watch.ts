/**
 * ServiceAccounts of the whole cluster, kept current by list+watch (`/api/v1/serviceaccounts`), each reduced on
 * arrival to namespace, name, uid and the annotations under the prefix — the informer transform of upstream's
 * PR #301, so 100,000 ServiceAccounts fit in a few tens of megabytes.
 * @module
 */
import { parseServiceAccount, type ServiceAccountInfo } from './service-account.js';
import type { KubeApi } from './api-client.js';
import { startListWatch, type ListWatch, type StartListWatchOptions, type WatchRestartReason } from './list-watch.js';

const NO_ANNOTATIONS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * ServiceAccounts by namespace, then name: nested maps need no `ns/name` key string per entry, and each namespace
 * string is held once (entries point at the map's key).
 */
export class ServiceAccountIndex {
  #byNamespace = new Map<string, Map<string, ServiceAccountInfo>>();
  #size = 0;

  get(namespace: string, name: string): ServiceAccountInfo | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  /** Stores `sa` (replacing any entry of the same namespace and name), sharing strings where it can. */
  set(sa: ServiceAccountInfo): void {
    let names = this.#byNamespace.get(sa.namespace);
    let namespace = sa.namespace;
    if (!names) {
      names = new Map();
      this.#byNamespace.set(namespace, names);
    } else {
      namespace = names.values().next().value?.namespace ?? namespace;
    }
    const compact: ServiceAccountInfo = {
      namespace,
      name: sa.name,
      uid: sa.uid,
      annotations: sa.annotations && Object.keys(sa.annotations).length > 0 ? sa.annotations : NO_ANNOTATIONS,
    };
    if (!names.has(sa.name)) this.#size++;
    names.set(sa.name, compact);
  }

  delete(namespace: string, name: string): boolean {
    const names = this.#byNamespace.get(namespace);
    if (!names?.delete(name)) return false;
    this.#size--;
    if (names.size === 0) this.#byNamespace.delete(namespace);
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#byNamespace.clear();
    this.#size = 0;
  }

  get size(): number {
    return this.#size;
  }

  *values(): IterableIterator<ServiceAccountInfo> {
    for (const names of this.#byNamespace.values()) yield* names.values();
  }
}

/**
 * Reduces a ServiceAccount object from the API to what the webhook keeps (undefined when it has no name):
 * namespace, name, uid and only the annotations under `<prefix>/` (upstream's informer transform), in a fresh
 * small object so the parsed API object can be collected.
 * @example
 * reduceServiceAccount(saFromApi, 'eks.amazonaws.com') // { namespace, name, uid, annotations: { 'eks.amazonaws.com/role-arn': … } }
 */
export function reduceServiceAccount(object: unknown, annotationPrefix: string): ServiceAccountInfo | undefined {
  const sa = parseServiceAccount(object, annotationPrefix);
  if (!sa || !sa.namespace) return undefined;
  return sa;
}

export interface ServiceAccountWatchOptions {
  api: KubeApi;
  /** `--annotation-prefix`: only annotations `<prefix>/…` are kept. */
  annotationPrefix: string;
  /** Called for every ServiceAccount added or modified by a watch event, and once per relist (`undefined`). */
  onChange?: (sa: ServiceAccountInfo | undefined) => void;
  onSynced?: () => void;
  /** Called for every ServiceAccount a watch event deleted. */
  onDelete?: (namespace: string, name: string) => void;
  onRestart?: (reason: WatchRestartReason, detail: string) => void;
  /** Passed to the list+watch loop (page size, backoff, jitter source, watch timeout). */
  listWatch?: Pick<StartListWatchOptions, 'pageSize' | 'backoff' | 'random' | 'watchTimeoutSeconds' | 'listTimeoutMs' | 'stallMarginMs'>;
}

/** The running watch and what it holds. */
export interface ServiceAccountWatch {
  /** The current index (replaced wholesale after each relist; do not keep a reference). */
  index(): ServiceAccountIndex;
  isSynced(): boolean;
  /** Lists again (the index is replaced when the list completes). */
  relist(): void;
  stop(): void;
  done: Promise<void>;
}

/**
 * Lists and watches ServiceAccounts in all namespaces.
 * @example
 * const w = startServiceAccountWatch({ api, annotationPrefix: 'eks.amazonaws.com' });
 * w.index().get('default', 'app');
 */
export function startServiceAccountWatch(options: ServiceAccountWatchOptions): ServiceAccountWatch {
  let current = new ServiceAccountIndex();
  let building: ServiceAccountIndex | undefined;
  let synced = false;
  const prefix = options.annotationPrefix;

  const lw: ListWatch = startListWatch(
    {
      ...options.listWatch,
      api: options.api,
      path: '/api/v1/serviceaccounts',
      onSynced: () => {
        synced = true;
        options.onSynced?.();
      },
      ...(options.onRestart ? { onRestart: options.onRestart } : {}),
    },
    {
      beginList() {
        building = new ServiceAccountIndex();
      },
      listItem(object) {
        const sa = reduceServiceAccount(object, prefix);
        if (sa && building) building.set(sa);
      },
      endList() {
        if (building) current = building;
        building = undefined;
        options.onChange?.(undefined);
      },
      abortList() {
        building = undefined;
      },
      event(type, object) {
        if (type === 'DELETED') {
          const meta = (object.metadata ?? {}) as { namespace?: string; name?: string };
          if (meta.namespace && meta.name && current.delete(meta.namespace, meta.name)) options.onDelete?.(meta.namespace, meta.name);
          return;
        }
        const sa = reduceServiceAccount(object, prefix);
        if (!sa) return;
        current.set(sa);
        options.onChange?.(current.get(sa.namespace, sa.name));
      },
    },
  );

  return {
    index: () => current,
    isSynced: () => synced,
    relist: () => lw.relist(),
    stop: () => lw.stop(),
    done: lw.done,
  };
}
