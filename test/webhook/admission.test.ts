import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAdmissionReview, encodeAdmissionReview } from '../../src/webhook/admission.js';
import { AdmissionReviewError } from '../../src/webhook/errors.js';
import { exampleReview } from './server-helpers.js';

test('decodes the upstream example review (no apiVersion) and keeps TypeMeta as sent', () => {
  const review = decodeAdmissionReview(JSON.stringify(exampleReview()));
  assert.equal(review.kind, 'AdmissionReview');
  assert.equal(review.apiVersion, undefined);
  assert.equal(review.request.uid, '918ef1dc-928f-4525-99ef-988389f263c3');
  assert.equal(review.request.namespace, 'default');
  assert.equal((review.request.object.spec as { serviceAccountName: string }).serviceAccountName, 'default');
});

test('decodes v1 and v1beta1 reviews alike', () => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const review = decodeAdmissionReview(Buffer.from(JSON.stringify(exampleReview({ apiVersion }))));
    assert.equal(review.apiVersion, apiVersion);
    assert.equal(review.request.operation, 'CREATE');
  }
});

test('rejects bodies that are not an AdmissionReview, naming the problem', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [] } };
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['empty', '', /empty body/],
    ['truncated', '{"request":{"uid":"a"', /not valid JSON/],
    ['array', '[]', /body is an array/],
    ['string', '"review"', /body is a string/],
    ['null', 'null', /body is null/],
    ['no request', '{}', /has no request/],
    ['request not object', '{"request":5}', /request is a number/],
    ['no uid', JSON.stringify({ request: { object: pod } }), /has no uid/],
    ['uid number', JSON.stringify({ request: { uid: 5, object: pod } }), /uid is a number/],
    ['no object', JSON.stringify({ request: { uid: 'u' } }), /has no object/],
    ['object string', JSON.stringify({ request: { uid: 'u', object: 'pod' } }), /object is a string/],
    ['not a pod', JSON.stringify({ request: { uid: 'u', object: { kind: 'Deployment' } } }), /is a Deployment/],
    ['wrong apiVersion', JSON.stringify({ apiVersion: 'admission.k8s.io/v2', request: { uid: 'u', object: pod } }), /not supported/],
    ['wrong kind', JSON.stringify({ kind: 'Pod', request: { uid: 'u', object: pod } }), /not AdmissionReview/],
  ];
  for (const [name, body, message] of cases) {
    assert.throws(() => decodeAdmissionReview(body), (err: unknown) => {
      assert.ok(err instanceof AdmissionReviewError, name);
      assert.equal(err.code, 'ERR_ADMISSION_REVIEW_INVALID');
      assert.match(err.message, message, name);
      return true;
    });
  }
});

test('encodes the response with upstream key order, TypeMeta echoed only when sent', () => {
  assert.equal(
    encodeAdmissionReview({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }, { uid: 'u1', allowed: true }),
    '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"u1","allowed":true}}',
  );
  assert.equal(encodeAdmissionReview({}, { uid: 'u2', allowed: true }), '{"response":{"uid":"u2","allowed":true}}');
  const patch = [{ op: 'add', path: '/metadata/labels', value: { a: '<b>' } }];
  const body = encodeAdmissionReview({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1beta1' }, { uid: 'u3', allowed: true, patch, warnings: ['careful "here"'] });
  const parsed = JSON.parse(body);
  assert.deepEqual(Object.keys(parsed), ['kind', 'apiVersion', 'response']);
  assert.deepEqual(Object.keys(parsed.response), ['uid', 'allowed', 'patch', 'patchType', 'warnings']);
  assert.equal(parsed.response.patchType, 'JSONPatch');
  assert.deepEqual(JSON.parse(Buffer.from(parsed.response.patch, 'base64').toString()), patch);
  assert.deepEqual(parsed.response.warnings, ['careful "here"']);
});

test('encodes the patch as base64 of its UTF-8 JSON, ASCII or not', () => {
  for (const value of ['plain ascii', 'café', '€ and 🚀', '\u00ff\u0100', 'lone \ud800 surrogate']) {
    const patch = [{ op: 'add', path: '/spec/containers/0/env/-', value: { name: 'GREETING', value } }];
    const body = encodeAdmissionReview({}, { uid: 'u', allowed: true, patch });
    const encoded = JSON.parse(body).response.patch as string;
    assert.equal(encoded, Buffer.from(JSON.stringify(patch), 'utf8').toString('base64'), value);
    assert.deepEqual(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')), patch, value);
  }
});

test('omits an empty patch and empty warnings', () => {
  assert.equal(encodeAdmissionReview({}, { uid: 'u', allowed: true, patch: [], warnings: [] }), '{"response":{"uid":"u","allowed":true}}');
});
