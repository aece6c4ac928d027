import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildIssuerDocuments, parsePublicKeysPem } from '../../src/oidc/index.js';
import { ECDSA_PUBLIC_KEY, RSA_KEY_ID, RSA_PUBLIC_KEY } from './testdata/kubernetes-vectors.js';

const ISSUER = 'https://mycluster-oidc.s3.us-east-1.amazonaws.com';

describe('ccoctl format (--format ccoctl)', () => {
  test('discovery document is ccoctl\'s DiscoveryDocumentTemplate verbatim; JWKS is Go MarshalIndent with 4 spaces', () => {
    const docs = buildIssuerDocuments({ issuer: ISSUER, publicKeys: parsePublicKeysPem(RSA_PUBLIC_KEY, 'rsa'), style: 'ccoctl' });
    assert.equal(docs.files[0]!.body, `{
\t"issuer": "${ISSUER}",
\t"jwks_uri": "${ISSUER}/keys.json",
    "response_types_supported": [
        "id_token"
    ],
    "subject_types_supported": [
        "public"
    ],
    "id_token_signing_alg_values_supported": [
        "RS256"
    ],
    "claims_supported": [
        "aud",
        "exp",
        "sub",
        "iat",
        "iss",
        "sub"
    ]
}`);
    assert.match(docs.files[1]!.body, new RegExp(`^\\{\\n    "keys": \\[\\n        \\{\\n            "use": "sig",\\n            "kty": "RSA",\\n            "kid": "${RSA_KEY_ID}",\\n            "alg": "RS256",\\n            "n": "249Xw`));
    assert.match(docs.files[1]!.body, /"e": "AQAB"\n {8}\}\n {4}\]\n\}$/);
    assert.deepEqual(JSON.parse(docs.files[1]!.body), docs.jwks);
  });

  test('EC keys are refused in the ccoctl format, as ccoctl refuses them', () => {
    assert.throws(() => buildIssuerDocuments({ issuer: ISSUER, publicKeys: parsePublicKeysPem(ECDSA_PUBLIC_KEY, 'ec'), style: 'ccoctl' }), { code: 'ERR_OIDC_UNSUPPORTED_KEY' });
  });
});
