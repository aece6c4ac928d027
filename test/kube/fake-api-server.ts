/**
 * A small stand-in for the Kubernetes API server, enough for the webhook's sources: ServiceAccounts (list with
 * `limit`/`continue`, watch as JSON lines with bookmarks, single GET) and ConfigMaps in one namespace (list and watch
 * with a `metadata.name` field selector), with the real response shapes (`…List`, `Status`, watch events), and knobs
 * for faults: a `410 Gone` (as an ERROR event or as HTTP 410), dropped connections, failing or slow requests, and
 * held-back watch events (a watch that lags behind the API).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

type Obj = Record<string, unknown> & { metadata: { name: string; namespace: string; resourceVersion: string; uid: string } };
type Kind = 'serviceaccounts' | 'configmaps';

interface Stored {
  kind: Kind;
  object: Obj;
}

interface WatchEntry {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  kind: Kind;
  object: Obj;
}

interface Watcher {
  kind: Kind;
  namespace?: string;
  nameSelector?: string;
  res: http.ServerResponse;
  lastSent: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string | undefined;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeApiServer {
  readonly server: http.Server;
  url = '';
  requests: RequestRecord[] = [];
  /** Delay (ms) before answering single GETs and list pages (a slow API). */
  delayMs = 0;
  /** Answer the next N requests whose path matches with this HTTP status (Status body). */
  failures: Array<{ match: RegExp; status: number; remaining: number }> = [];
  /** When true, watch events are queued and not sent until `releaseWatchEvents()`. */
  holdWatchEvents = false;
  /** Send a BOOKMARK after each flush. */
  bookmarks = true;
  /** How a too-old resourceVersion is refused: an ERROR event in a 200 stream, or HTTP 410. */
  goneMode: 'event' | 'http' = 'event';
  /**
   * Single GETs whose path matches are held unanswered (an API that never replies) until `releaseHeldGets()`;
   * `heldGets` counts the ones waiting.
   */
  holdGets: RegExp | undefined = undefined;
  #held: Array<() => void> = [];

  #rv = 100;
  #objects = new Map<string, Stored>();
  #log: WatchEntry[] = [];
  #compactedBelow = 0;
  #watchers = new Set<Watcher>();
  #continues = new Map<string, { rv: number; items: Obj[] }>();

  constructor() {
    this.server = http.createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /** Number of requests matching. */
  count(method: string, path: string | RegExp, query?: Partial<Record<string, string>>): number {
    return this.requests.filter(
      (r) =>
        r.method === method &&
        (typeof path === 'string' ? r.path === path : path.test(r.path)) &&
        Object.entries(query ?? {}).every(([k, v]) => r.query[k] === v),
    ).length;
  }

  watcherCount(kind?: Kind): number {
    return [...this.#watchers].filter((w) => !kind || w.kind === kind).length;
  }

  // ---- state changes --------------------------------------------------------------------------------------------

  upsertServiceAccount(namespace: string, name: string, annotations?: Record<string, string>, options: { silent?: boolean } = {}): Obj {
    const key = `serviceaccounts/${namespace}/${name}`;
    const prev = this.#objects.get(key);
    const rv = ++this.#rv;
    const object: Obj = {
      kind: 'ServiceAccount',
      apiVersion: 'v1',
      metadata: {
        name,
        namespace,
        uid: (prev?.object.metadata.uid as string | undefined) ?? randomUUID(),
        resourceVersion: String(rv),
        creationTimestamp: '2026-11-28T15:00:00Z',
        ...(annotations ? { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"v1","kind":"ServiceAccount"}\n', ...annotations } } : {}),
        labels: { 'app.kubernetes.io/managed-by': 'test' },
      },
      secrets: [{ name: `${name}-token-abcde` }],
    } as Obj;
    this.#objects.set(key, { kind: 'serviceaccounts', object });
    this.#record({ rv, type: prev ? 'MODIFIED' : 'ADDED', kind: 'serviceaccounts', object }, options.silent);
    return object;
  }

  deleteServiceAccount(namespace: string, name: string): void {
    const key = `serviceaccounts/${namespace}/${name}`;
    const prev = this.#objects.get(key);
    if (!prev) return;
    this.#objects.delete(key);
    const rv = ++this.#rv;
    this.#record({ rv, type: 'DELETED', kind: 'serviceaccounts', object: { ...prev.object, metadata: { ...prev.object.metadata, resourceVersion: String(rv) } } });
  }

  upsertConfigMap(namespace: string, name: string, data: Record<string, string>): void {
    const key = `configmaps/${namespace}/${name}`;
    const prev = this.#objects.get(key);
    const rv = ++this.#rv;
    const object = {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name, namespace, uid: prev?.object.metadata.uid ?? randomUUID(), resourceVersion: String(rv), creationTimestamp: '2026-11-28T15:00:00Z' },
      data,
    } as Obj;
    this.#objects.set(key, { kind: 'configmaps', object });
    this.#record({ rv, type: prev ? 'MODIFIED' : 'ADDED', kind: 'configmaps', object });
  }

  deleteConfigMap(namespace: string, name: string): void {
    const key = `configmaps/${namespace}/${name}`;
    const prev = this.#objects.get(key);
    if (!prev) return;
    this.#objects.delete(key);
    const rv = ++this.#rv;
    this.#record({ rv, type: 'DELETED', kind: 'configmaps', object: { ...prev.object, metadata: { ...prev.object.metadata, resourceVersion: String(rv) } } });
  }

  /** Bulk load without events history (fast setup for many objects). */
  loadServiceAccounts(objects: Iterable<{ namespace: string; name: string; annotations?: Record<string, string> }>): void {
    for (const o of objects) {
      const rv = ++this.#rv;
      const object = {
        kind: 'ServiceAccount',
        apiVersion: 'v1',
        metadata: {
          name: o.name,
          namespace: o.namespace,
          uid: randomUUID(),
          resourceVersion: String(rv),
          creationTimestamp: '2026-11-28T15:00:00Z',
          ...(o.annotations ? { annotations: o.annotations } : {}),
        },
        secrets: [{ name: `${o.name}-token-abcde` }],
      } as Obj;
      this.#objects.set(`serviceaccounts/${o.namespace}/${o.name}`, { kind: 'serviceaccounts', object });
    }
    this.#compactedBelow = this.#rv;
    this.#log = [];
  }

  // ---- faults ---------------------------------------------------------------------------------------------------

  /** Destroys every open watch connection mid-stream (no chunked terminator). */
  dropWatches(kind?: Kind): void {
    for (const w of [...this.#watchers]) {
      if (kind && w.kind !== kind) continue;
      w.res.socket?.destroy();
      this.#watchers.delete(w);
    }
  }

  /** Forgets the event history (etcd compaction): any watch from an older resourceVersion gets `410 Gone`. */
  compact(): void {
    this.#compactedBelow = this.#rv;
    this.#log = [];
  }

  /** Sends an ERROR event with a `410 Gone` Status on every open watch and ends them, after a compaction. */
  expireWatches(kind?: Kind): void {
    this.compact();
    for (const w of [...this.#watchers]) {
      if (kind && w.kind !== kind) continue;
      this.#send(w, { type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${w.lastSent} (${this.#rv})`) });
      w.res.end();
      this.#watchers.delete(w);
    }
  }

  /** Ends every watch normally (as `timeoutSeconds` does). */
  endWatches(): void {
    for (const w of [...this.#watchers]) {
      w.res.end();
      this.#watchers.delete(w);
    }
  }

  /** Single GETs held by `holdGets` right now. */
  get heldGets(): number {
    return this.#held.length;
  }

  /** Stops holding single GETs and answers the held ones. */
  releaseHeldGets(): void {
    this.holdGets = undefined;
    for (const release of this.#held.splice(0)) release();
  }

  releaseWatchEvents(): void {
    this.holdWatchEvents = false;
    for (const w of this.#watchers) this.#flush(w);
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  #record(entry: WatchEntry, silent = false): void {
    this.#log.push(entry);
    if (silent) return;
    for (const w of this.#watchers) this.#flush(w);
  }

  #matches(w: Watcher, e: { kind: Kind; object: Obj }): boolean {
    return e.kind === w.kind && (!w.namespace || e.object.metadata.namespace === w.namespace) && (!w.nameSelector || e.object.metadata.name === w.nameSelector);
  }

  #flush(w: Watcher): void {
    if (this.holdWatchEvents) return;
    let sent = false;
    for (const e of this.#log) {
      if (e.rv <= w.lastSent) continue;
      w.lastSent = e.rv;
      if (!this.#matches(w, e)) continue;
      this.#send(w, { type: e.type, object: e.object });
      sent = true;
    }
    if (sent && this.bookmarks) {
      const kind = w.kind === 'serviceaccounts' ? 'ServiceAccount' : 'ConfigMap';
      this.#send(w, { type: 'BOOKMARK', object: { kind, apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) } } });
      w.lastSent = this.#rv;
    }
  }

  #send(w: Watcher, event: unknown): void {
    w.res.write(`${JSON.stringify(event)}\n`);
  }

  #json(res: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, authorization: req.headers.authorization });
    for (const f of this.failures) {
      if (f.remaining > 0 && f.match.test(url.pathname + url.search)) {
        f.remaining--;
        return this.#json(res, f.status, status(f.status, f.status === 410 ? 'Expired' : 'InternalError', `injected failure ${f.status}`));
      }
    }
    let m: RegExpMatchArray | null;
    if (url.pathname === '/api/v1/serviceaccounts') return this.#collection(req, res, 'serviceaccounts', undefined, query);
    if ((m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts|configmaps)$/))) {
      return this.#collection(req, res, m[2] as Kind, decodeURIComponent(m[1]!), query);
    }
    if ((m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/(serviceaccounts|configmaps)\/([^/]+)$/))) {
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.holdGets?.test(url.pathname)) {
        await new Promise<void>((r) => {
          this.#held.push(r);
          // a client that gives up (its timeout or abort) is no longer held
          res.on('close', () => {
            const i = this.#held.indexOf(r);
            if (i >= 0) this.#held.splice(i, 1);
          });
        });
        if (res.destroyed) return;
      }
      const [ns, kind, name] = [decodeURIComponent(m[1]!), m[2] as Kind, decodeURIComponent(m[3]!)];
      const found = this.#objects.get(`${kind}/${ns}/${name}`);
      if (!found) return this.#json(res, 404, { ...status(404, 'NotFound', `${kind} "${name}" not found`), details: { name, kind } });
      return this.#json(res, 200, found.object);
    }
    return this.#json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  async #collection(req: http.IncomingMessage, res: http.ServerResponse, kind: Kind, namespace: string | undefined, query: Record<string, string>): Promise<void> {
    const sel = query.fieldSelector?.match(/^metadata\.name=(.+)$/)?.[1];
    if (query.watch === '1' || query.watch === 'true') {
      const from = Number(query.resourceVersion ?? '0');
      if (from < this.#compactedBelow) {
        const body = status(410, 'Expired', `too old resource version: ${from} (${this.#rv})`);
        if (this.goneMode === 'http') return this.#json(res, 410, body);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.write(`${JSON.stringify({ type: 'ERROR', object: body })}\n`);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      const w: Watcher = { kind, res, lastSent: from, ...(namespace ? { namespace } : {}), ...(sel ? { nameSelector: sel } : {}) };
      this.#watchers.add(w);
      req.on('close', () => this.#watchers.delete(w));
      this.#flush(w);
      return;
    }
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const limit = Number(query.limit ?? '0');
    let snapshot: { rv: number; items: Obj[] };
    let offset = 0;
    if (query.continue) {
      const [token, off] = query.continue.split(':');
      const saved = this.#continues.get(token!);
      if (!saved) return this.#json(res, 410, status(410, 'Expired', 'The provided continue parameter is too old'));
      snapshot = saved;
      offset = Number(off);
    } else {
      const items = [...this.#objects.values()]
        .filter((s) => s.kind === kind && (!namespace || s.object.metadata.namespace === namespace) && (!sel || s.object.metadata.name === sel))
        .map((s) => s.object);
      snapshot = { rv: this.#rv, items };
    }
    const page = limit > 0 ? snapshot.items.slice(offset, offset + limit) : snapshot.items.slice(offset);
    const next = offset + page.length;
    const metadata: Record<string, string> = { resourceVersion: String(snapshot.rv) };
    if (limit > 0 && next < snapshot.items.length) {
      const token = query.continue?.split(':')[0] ?? randomUUID();
      this.#continues.set(token, snapshot);
      metadata.continue = `${token}:${next}`;
    }
    const listKind = kind === 'serviceaccounts' ? 'ServiceAccountList' : 'ConfigMapList';
    return this.#json(res, 200, { kind: listKind, apiVersion: 'v1', metadata, items: page });
  }
}
