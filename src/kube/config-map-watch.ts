/**
 * The `pod-identity-webhook` ConfigMap (`--watch-config-map`), list+watched in `--namespace` with a field selector
 * on its name. Unlike upstream, deleting the ConfigMap clears its entries, and a malformed key is skipped.
 * @module
 */
import type { KubeApi } from './api-client.js';
import { startListWatch, type StartListWatchOptions, type WatchRestartReason } from './list-watch.js';

/** What the watch reports: the ConfigMap's `data`, or `undefined` when the ConfigMap does not exist (any more). */
export type ConfigMapData = Record<string, string> | undefined;

export interface ConfigMapWatchOptions {
  api: KubeApi;
  namespace: string;
  name: string;
  /** Called after the first list and on every change of the ConfigMap (`undefined` = absent or deleted). */
  onData: (data: ConfigMapData) => void;
  onSynced?: () => void;
  onRestart?: (reason: WatchRestartReason, detail: string) => void;
  listWatch?: Pick<StartListWatchOptions, 'backoff' | 'random' | 'watchTimeoutSeconds' | 'listTimeoutMs' | 'stallMarginMs'>;
}

export interface ConfigMapWatch {
  isSynced(): boolean;
  /** Lists again (reports the ConfigMap's current data). */
  relist(): void;
  stop(): void;
  done: Promise<void>;
}

function dataOf(object: Record<string, unknown>): Record<string, string> {
  const data = object.data;
  const out: Record<string, string> = {};
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/**
 * Watches one ConfigMap by name.
 * @example
 * startConfigMapWatch({ api, namespace: 'eks', name: 'pod-identity-webhook', onData: (d) => console.log(d?.config) });
 */
export function startConfigMapWatch(options: ConfigMapWatchOptions): ConfigMapWatch {
  let listed: Record<string, string> | undefined;
  let synced = false;
  const lw = startListWatch(
    {
      ...options.listWatch,
      api: options.api,
      path: `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/configmaps`,
      query: { fieldSelector: `metadata.name=${options.name}` },
      pageSize: 0,
      onSynced: () => {
        synced = true;
        options.onSynced?.();
      },
      ...(options.onRestart ? { onRestart: options.onRestart } : {}),
    },
    {
      beginList() {
        listed = undefined;
      },
      listItem(object) {
        const meta = (object.metadata ?? {}) as { name?: string };
        if (meta.name === options.name) listed = dataOf(object);
      },
      endList() {
        options.onData(listed);
      },
      abortList() {
        listed = undefined;
      },
      event(type, object) {
        const meta = (object.metadata ?? {}) as { name?: string };
        if (meta.name !== options.name) return;
        options.onData(type === 'DELETED' ? undefined : dataOf(object));
      },
    },
  );
  return { isSynced: () => synced, relist: () => lw.relist(), stop: () => lw.stop(), done: lw.done };
}
