import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { buildIssuerDocuments, keyIdFromPublicKey, parsePublicKeysPem, parseSigningKeyPem, serializeJwks } from '../../src/oidc/index.js';
import * as k8s from './testdata/kubernetes-vectors.js';

describe('Kubernetes\' own test vectors (pkg/serviceaccount)', () => {
  test('kid of the RSA and ECDSA test keys equals kube-apiserver\'s stable key IDs', () => {
    assert.equal(keyIdFromPublicKey(parsePublicKeysPem(k8s.RSA_PUBLIC_KEY, 'rsa')[0]!), k8s.RSA_KEY_ID);
    assert.equal(keyIdFromPublicKey(parsePublicKeysPem(k8s.ECDSA_PUBLIC_KEY, 'ecdsa')[0]!), k8s.ECDSA_KEY_ID);
    assert.equal(parseSigningKeyPem(k8s.RSA_PRIVATE_KEY, 'rsa').kid, k8s.RSA_KEY_ID);
    assert.equal(parseSigningKeyPem(k8s.ECDSA_PRIVATE_KEY, 'ecdsa').kid, k8s.ECDSA_KEY_ID);
  });

  test('discovery document and JWKS bytes equal TestNewOpenIDMetadata\'s wantConfig / wantKeyset', () => {
    const publicKeys = [...parsePublicKeysPem(k8s.RSA_PUBLIC_KEY, 'rsa'), ...parsePublicKeysPem(k8s.ECDSA_PUBLIC_KEY, 'ecdsa')];
    const docs = buildIssuerDocuments({ issuer: k8s.ISSUER, publicKeys, layout: 'kubernetes' });
    assert.equal(docs.files[0]!.body, k8s.WANT_CONFIG);
    assert.equal(docs.files[1]!.body, k8s.WANT_KEYSET);
    // "response only contains public keys, even when private keys are provided"
    const fromPrivate = buildIssuerDocuments({ issuer: k8s.ISSUER, publicKeys: [createPrivateKey(k8s.RSA_PRIVATE_KEY), createPrivateKey(k8s.ECDSA_PRIVATE_KEY)], layout: 'kubernetes' });
    assert.equal(serializeJwks(fromPrivate.jwks), k8s.WANT_KEYSET);
  });
});
