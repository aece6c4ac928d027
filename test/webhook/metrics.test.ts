import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register as globalRegistry } from 'prom-client';
import { createWebhookMetrics } from '../../src/webhook/metrics.js';

test('each server gets its own registry; nothing lands in the global one', async () => {
  const a = createWebhookMetrics({ source: { size: () => 3 } });
  const b = createWebhookMetrics({ source: { size: () => 0 } });
  a.observeRequest('POST', '/mutate', 200, 0.2);
  assert.match(await a.registry.metrics(), /http_request_count\{verb="POST",path="\/mutate",code="200"\} 1/);
  assert.doesNotMatch(await b.registry.metrics(), /http_request_count\{/);
  assert.match(await a.registry.metrics(), /pod_identity_webhook_used 1/);
  assert.match(await b.registry.metrics(), /pod_identity_webhook_used 0/);
  assert.match(await a.registry.metrics(), /irsa_webhook_serviceaccount_cache_size 3/);
  assert.equal((await globalRegistry.metrics()).trim(), '');
});

test('upstream families keep their types, help, microsecond buckets and summary without quantiles', async () => {
  const m = createWebhookMetrics({ source: { size: () => 0 } });
  m.observeRequest('POST', '/mutate', 200, 0.3);
  const text = await m.registry.metrics();
  assert.match(text, /# HELP http_request_count Counter of requests broken out for each verb, path, and response code\.\n# TYPE http_request_count counter/);
  assert.match(text, /# TYPE http_request_latencies histogram/);
  for (const le of ['125000', '250000', '500000', '1000000', '2000000', '4000000', '8000000', '\\+Inf']) {
    assert.match(text, new RegExp(`http_request_latencies_bucket\\{le="${le}",verb="POST",path="/mutate"\\}`));
  }
  assert.match(text, /http_request_latencies_bucket\{le="250000",verb="POST",path="\/mutate"\} 0\n/);
  assert.match(text, /http_request_latencies_bucket\{le="500000",verb="POST",path="\/mutate"\} 1\n/);
  assert.match(text, /# TYPE http_request_duration_microseconds summary/);
  assert.match(text, /http_request_duration_microseconds_sum\{verb="POST",path="\/mutate"\} 300000/);
  assert.doesNotMatch(text, /http_request_duration_microseconds\{quantile/);
  assert.match(text, /# HELP pod_identity_webhook_missing_sa_count Service account did not have the right annotations or was not found in the cache\./);
});

test('store events count watch restarts and config reloads', async () => {
  const m = createWebhookMetrics({ source: { size: () => 0 } });
  m.storeEvents.watchRestarted('serviceaccounts', 'gone');
  m.storeEvents.watchRestarted('serviceaccounts', 'gone');
  m.storeEvents.configReloaded('container-credentials', false);
  const text = await m.registry.metrics();
  assert.match(text, /irsa_webhook_watch_restarts_total\{resource="serviceaccounts",reason="gone"\} 2/);
  assert.match(text, /irsa_webhook_config_reloads_total\{source="container-credentials",result="error"\} 1/);
});

test('admission recorders update their labelled series, and only the ones used appear', async () => {
  const m = createWebhookMetrics({ source: { size: () => 0 } });
  m.observeAdmission('mutated', 0.002);
  m.observeAdmission('mutated', 0.003);
  m.countLookup('cache');
  m.countLookup('miss');
  m.countLookup('cache');
  m.countPod('sts_web_identity', true);
  m.countPod('container_credentials', false);
  const text = await m.registry.metrics();
  assert.match(text, /irsa_webhook_admission_duration_seconds_count\{result="mutated"\} 2\n/);
  assert.match(text, /irsa_webhook_admission_duration_seconds_bucket\{le="0.0025",result="mutated"\} 1\n/);
  assert.doesNotMatch(text, /result="unchanged"|result="invalid"|result="error"/);
  assert.match(text, /irsa_webhook_serviceaccount_lookups_total\{outcome="cache"\} 2\n/);
  assert.match(text, /irsa_webhook_serviceaccount_lookups_total\{outcome="miss"\} 1\n/);
  assert.doesNotMatch(text, /outcome="api"/);
  assert.match(text, /pod_identity_webhook_pod_count\{method="sts_web_identity"\} 1\n/);
  assert.match(text, /pod_identity_webhook_pod_count\{method="container_credentials"\} 1\n/);
  assert.match(text, /irsa_webhook_mutations_total\{mode="sts_web_identity"\} 1\n/);
  assert.doesNotMatch(text, /irsa_webhook_mutations_total\{mode="container_credentials"\}/);
});
