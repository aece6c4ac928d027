/**
 * The webhook's Prometheus metrics, in a registry owned by one server instance (never prom-client's global
 * default): upstream's names, types, labels and buckets, plus irsa-kit's own (`irsa_webhook_*`).
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the metrics read from the identity store when scraped. */
export interface MetricsSource {
  /** ServiceAccounts held by the cache. */
  size(): number;
}

/**
 * The store events the metrics count (structurally the sources' `IdentityStoreEvents`, minus `lookup`, which the
 * server counts from each admission's outcome).
 */
export interface MetricsStoreEvents {
  watchRestarted(kind: 'serviceaccounts' | 'configmap', reason: string): void;
  configReloaded(kind: string, ok: boolean): void;
}

/** The metric families of one webhook server. */
export interface WebhookMetrics {
  registry: Registry;
  /** Upstream `http_request_count{verb,path,code}`. */
  httpRequestCount: Counter<'verb' | 'path' | 'code'>;
  /** Upstream `http_request_latencies{verb,path}`, microseconds. */
  httpRequestLatencies: Histogram<'verb' | 'path'>;
  /** Upstream `http_request_duration_microseconds{verb,path}` (summary without quantiles: `_sum` and `_count`). */
  httpRequestDurationMicroseconds: SumCountSummary;
  /** Upstream `pod_identity_webhook_pod_count{method}`. */
  podCount: Counter<'method'>;
  /** Upstream `pod_identity_webhook_missing_sa_count`. */
  missingServiceAccounts: Counter<string>;
  /** `irsa_webhook_admission_duration_seconds{result}`. */
  admissionDuration: Histogram<'result'>;
  /** `irsa_webhook_mutations_total{mode}`. */
  mutations: Counter<'mode'>;
  /** `irsa_webhook_serviceaccount_lookups_total{outcome}`: cache, api, miss. */
  lookups: Counter<'outcome'>;
  /** `irsa_webhook_certificate_reloads_total{result}`: ok, error. */
  certificateReloads: Counter<'result'>;
  /** `irsa_webhook_watch_restarts_total{resource,reason}`. */
  watchRestarts: Counter<'resource' | 'reason'>;
  /** `irsa_webhook_config_reloads_total{source,result}`. */
  configReloads: Counter<'source' | 'result'>;
  /** `irsa_webhook_mutation_errors_total{stage}`: the engine (mutate) or the response encoding (encode) failed; pod admitted unchanged. */
  mutationErrors: Counter<'stage'>;
  /** `irsa_webhook_refused_total{reason}`: requests/streams/connections refused by a memory limit. */
  refused: Counter<'reason'>;
  /** Hooks to pass to the identity store (`events`) so its watch restarts and reloads are counted here. */
  storeEvents: MetricsStoreEvents;
  /** Records one instrumented request (upstream's three HTTP families). */
  observeRequest(verb: string, path: string, code: number, seconds: number): void;
  /** Records one admission's duration by result (`irsa_webhook_admission_duration_seconds`). */
  observeAdmission(result: AdmissionResult, seconds: number): void;
  /** Counts one ServiceAccount lookup by how it was answered. */
  countLookup(outcome: 'cache' | 'api' | 'miss'): void;
  /** Counts one pod with an identity (`pod_identity_webhook_pod_count`) and, if patched, one mutation. */
  countPod(method: PodIdentityMethod, mutated: boolean): void;
}

/** The `stage` label of `irsa_webhook_mutation_errors_total`. */
export type MutationErrorStage = 'mutate' | 'encode';

/** The `result` label of `irsa_webhook_admission_duration_seconds`. */
export type AdmissionResult = 'mutated' | 'unchanged' | 'invalid' | 'error';

/** The `method`/`mode` label of the pod counters. */
export type PodIdentityMethod = 'sts_web_identity' | 'container_credentials';

/** One `verb`/`path` series of a {@link SumCountSummary}. */
export interface SumCountChild {
  observe(value: number): void;
}

/**
 * A summary with no quantiles, as upstream declares it (Go `SummaryOpts` without objectives): only `_sum` and
 * `_count` per `verb`/`path`. prom-client's Summary keeps a t-digest per series even without percentiles, which
 * costs more than the rest of the metrics together on the admission hot path.
 */
export class SumCountSummary {
  readonly type = 'summary';
  readonly aggregator = 'sum';
  #series = new Map<string, { labels: { verb: string; path: string }; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  labels(verb: string, path: string): SumCountChild {
    const key = `${verb} ${path}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { labels: { verb, path }, sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const s = series;
    return {
      observe(value: number) {
        s.sum += value;
        s.count += 1;
      },
    };
  }

  /** prom-client's collection interface (what `Registry#metrics()` reads). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string>; value: number; metricName: string }> }> {
    const values: Array<{ labels: Record<string, string>; value: number; metricName: string }> = [];
    for (const s of this.#series.values()) {
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}

/** Upstream's latency buckets, in microseconds. */
const UPSTREAM_LATENCY_BUCKETS = [125000, 250000, 500000, 1e6, 2e6, 4e6, 8e6];

/**
 * Creates the metric families in a new registry. `source` feeds the cache-size and "used" gauges at scrape time;
 * `processMetrics` adds prom-client's `process_*`/`nodejs_*` collectors. Pass `storeEvents` to the identity store.
 * @example
 * let store: IdentityStore | undefined;
 * const metrics = createWebhookMetrics({ source: { size: () => store?.size() ?? 0 } });
 * store = createKubernetesIdentityStore({ events: metrics.storeEvents });
 * res.end(await metrics.registry.metrics());
 */
export function createWebhookMetrics(options: { source: MetricsSource; processMetrics?: boolean }): WebhookMetrics {
  const registry = new Registry();
  const registers = [registry];
  const { source } = options;
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> => new Counter({ name, help, labelNames, registers });
  /** A gauge read from `read` at each scrape. */
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };

  const httpRequestCount = counter('http_request_count', 'Counter of requests broken out for each verb, path, and response code.', ['verb', 'path', 'code']);
  const httpRequestLatencies = new Histogram({
    name: 'http_request_latencies',
    help: 'Response latency distribution in microseconds for each verb and path',
    labelNames: ['verb', 'path'] as const,
    buckets: UPSTREAM_LATENCY_BUCKETS,
    registers,
  });
  const httpRequestDurationMicroseconds = new SumCountSummary(
    'http_request_duration_microseconds',
    'Response latency summary in microseconds for each verb and path.',
  );
  registry.registerMetric(httpRequestDurationMicroseconds as unknown as Parameters<Registry['registerMetric']>[0]);
  const podCount = counter('pod_identity_webhook_pod_count', 'Indicator to how many pods are using sts web identity or container credentials', ['method']);
  const missingServiceAccounts = counter('pod_identity_webhook_missing_sa_count', 'Service account did not have the right annotations or was not found in the cache.');
  gauge('pod_identity_webhook_used', 'Indicator to know pod identity webhook is used', () => source.size() > 0 ? 1 : 0);
  const admissionDuration = new Histogram({
    name: 'irsa_webhook_admission_duration_seconds',
    help: 'Time from receiving an admission request to sending its response, in seconds, by result (mutated, unchanged, invalid).',
    labelNames: ['result'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const mutations = counter('irsa_webhook_mutations_total', 'Pods that received a patch, by mode (sts_web_identity, container_credentials).', ['mode']);
  gauge('irsa_webhook_serviceaccount_cache_size', 'ServiceAccounts held in the webhook cache.', () => source.size());
  const lookups = counter('irsa_webhook_serviceaccount_lookups_total', 'ServiceAccount lookups by outcome: cache (found in the cache), api (found by a direct GET during the grace period), miss (not found).', ['outcome']);
  const watchRestarts = counter('irsa_webhook_watch_restarts_total', 'Times a list+watch loop started over, by resource (serviceaccounts, configmap) and reason (gone = 410 relist, error, dropped, closed).', ['resource', 'reason']);
  const configReloads = counter('irsa_webhook_config_reloads_total', 'Identity sources (re)loaded, by source (serviceaccounts, configmap, container-credentials) and result (ok, error = rejected, last good kept).', ['source', 'result']);
  const certificateReloads = counter('irsa_webhook_certificate_reloads_total', 'Serving certificate reloads from the certificate files, by result (ok, error = new files rejected, old certificate kept).', ['result']);
  const mutationErrors = counter('irsa_webhook_mutation_errors_total', 'Admissions where the mutation engine (stage mutate) or the response encoding (stage encode) failed; the pod was admitted unchanged with a warning.', ['stage']);
  const refused = counter('irsa_webhook_refused_total', 'Refused by a memory limit: HTTP/2 streams or HTTP/1.1 requests over the per-session (session_buffer) or total (total_buffer) buffered-bytes limit, connections over the connection limit (connections).', ['reason']);

  // Children bound once to every label value the admission path uses: prom-client's labels() builds a label
  // object and closures on each call.
  const admissionChildren: Record<AdmissionResult, ReturnType<typeof admissionDuration.labels>> = {
    mutated: admissionDuration.labels('mutated'),
    unchanged: admissionDuration.labels('unchanged'),
    invalid: admissionDuration.labels('invalid'),
    error: admissionDuration.labels('error'),
  };
  const lookupChildren = { cache: lookups.labels('cache'), api: lookups.labels('api'), miss: lookups.labels('miss') };
  const podChildren = { sts_web_identity: podCount.labels('sts_web_identity'), container_credentials: podCount.labels('container_credentials') };
  const mutationChildren = { sts_web_identity: mutations.labels('sts_web_identity'), container_credentials: mutations.labels('container_credentials') };

  // Pre-bound children for the hot path (POST /mutate 200).
  const countChildren = new Map<string, ReturnType<typeof httpRequestCount.labels>>();
  const latencyChildren = new Map<string, { hist: ReturnType<typeof httpRequestLatencies.labels>; sum: ReturnType<typeof httpRequestDurationMicroseconds.labels> }>();

  return {
    registry,
    httpRequestCount,
    httpRequestLatencies,
    httpRequestDurationMicroseconds,
    podCount,
    missingServiceAccounts,
    admissionDuration,
    mutations,
    lookups,
    certificateReloads,
    watchRestarts,
    configReloads,
    mutationErrors,
    refused,
    storeEvents: {
      watchRestarted: (kind, reason) => watchRestarts.labels(kind, reason).inc(),
      configReloaded: (kind, ok) => configReloads.labels(kind, ok ? 'ok' : 'error').inc(),
    },
    observeRequest(verb, path, code, seconds) {
      const countKey = `${verb} ${path} ${code}`;
      let counter = countChildren.get(countKey);
      if (counter === undefined) {
        counter = httpRequestCount.labels(verb, path, String(code));
        countChildren.set(countKey, counter);
      }
      counter.inc();
      const latencyKey = `${verb} ${path}`;
      let latency = latencyChildren.get(latencyKey);
      if (latency === undefined) {
        latency = { hist: httpRequestLatencies.labels(verb, path), sum: httpRequestDurationMicroseconds.labels(verb, path) };
        latencyChildren.set(latencyKey, latency);
      }
      const micros = seconds * 1e6;
      latency.hist.observe(micros);
      latency.sum.observe(micros);
    },
    observeAdmission(result, seconds) {
      admissionChildren[result].observe(seconds);
    },
    countLookup(outcome) {
      lookupChildren[outcome].inc();
    },
    countPod(method, mutated) {
      podChildren[method].inc();
      if (mutated) mutationChildren[method].inc();
    },
  };
}
