import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isDns1123Label, isDns1123Subdomain, isNamespaceName, isServiceAccountName, parseServiceAccountSubject, serviceAccountSubject,
} from '../../src/lib/k8s-names.js';

test('DNS-1123 labels: what IsDNS1123Label accepts and refuses', () => {
  for (const good of ['a', 'kube-system', '0abc', 'a'.repeat(63)]) assert.equal(isDns1123Label(good), true, good);
  for (const bad of ['', '-a', 'a-', 'A', 'a.b', 'a_b', 'a'.repeat(64)]) assert.equal(isDns1123Label(bad), false, bad);
});

test('DNS-1123 subdomains: dot-separated labels, no empty label, at most 253', () => {
  for (const good of ['a', 'my.app', 'a-b.c-d', `${'a'.repeat(63)}.${'b'.repeat(63)}`, 'a'.repeat(253)]) {
    assert.equal(isDns1123Subdomain(good), true, good);
  }
  // the token check used to accept `a..b` while the trust-policy builder refused it: one rule now
  for (const bad of ['', 'a..b', '.a', 'a.', 'a.-b', 'a-.b', 'A.b', 'a'.repeat(254)]) assert.equal(isDns1123Subdomain(bad), false, bad);
});

test('namespaces are labels, ServiceAccounts subdomains', () => {
  assert.equal(isNamespaceName('my.ns'), false);
  assert.equal(isServiceAccountName('my.sa'), true);
});

test('service-account subjects: built and split the same way', () => {
  assert.equal(serviceAccountSubject('team', 'app'), 'system:serviceaccount:team:app');
  assert.deepEqual(parseServiceAccountSubject('system:serviceaccount:my-project:test.sa'), { namespace: 'my-project', name: 'test.sa' });
  for (const bad of [
    'system:serviceaccount:ns', 'system:serviceaccount::sa', 'system:serviceaccount:ns:', 'system:serviceaccount:n.s:sa',
    'system:serviceaccount:ns:a..b', 'system:serviceaccount:ns:sa:extra', 'system:node:ns:sa', 'ns:sa',
  ]) assert.equal(parseServiceAccountSubject(bad), undefined, bad);
});
