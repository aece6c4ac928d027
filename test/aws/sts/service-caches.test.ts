/**
 * What the plane's STS keeps between requests (roles and providers per IAM generation, the last RoleLastUsed mark)
 * never outlives a change in IAM: a provider's client ids changed or the provider deleted is seen by the next call,
 * and RoleLastUsed is still written once a second per role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mintToken } from './helpers.js';
import { ROLE_ARN, ROLE_NAME, startLocalChain } from './plane-fixture.js';

async function assume(url: string, token: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'web', WebIdentityToken: token }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

test('a provider\'s client ids changed, then the provider deleted: the next call sees each change', async (t) => {
  const fixed = new Date(Math.floor(Date.now() / 1000) * 1000 + 100);
  const chain = await startLocalChain(t, { now: () => fixed });
  const token = await mintToken(chain.key, { now: Math.floor(fixed.getTime() / 1000) });
  assert.equal((await assume(chain.server.url, token)).status, 200);
  chain.plane.iam.setOidcProviderClientIds(chain.providerArn, ['openshift']);
  const audience = await assume(chain.server.url, token);
  assert.equal(audience.status, 400, audience.body);
  assert.match(audience.body, /<Code>InvalidIdentityToken<\/Code><Message>Incorrect token audience<\/Message>/);
  chain.plane.iam.setOidcProviderClientIds(chain.providerArn, ['sts.amazonaws.com']);
  assert.equal((await assume(chain.server.url, token)).status, 200);
  chain.plane.iam.deleteOidcProvider(chain.providerArn);
  const gone = await assume(chain.server.url, token);
  assert.equal(gone.status, 400, gone.body);
  assert.match(gone.body, /<Code>InvalidIdentityToken<\/Code><Message>No OpenIDConnect provider found in your account for https:\/\/oidc\.irsa\.local<\/Message>/);
});

test('RoleLastUsed is written at most once a second per role, also across other IAM writes', async (t) => {
  let nowMs = Math.floor(Date.now() / 1000) * 1000;
  const chain = await startLocalChain(t, { now: () => new Date(nowMs) });
  const token = await mintToken(chain.key, { now: Math.floor(nowMs / 1000) });
  const lastUsed = () => chain.plane.iam.getRole(ROLE_NAME)?.lastUsedDate?.getTime();
  assert.equal(lastUsed(), undefined);
  const first = nowMs;
  assert.equal((await assume(chain.server.url, token)).status, 200);
  assert.equal(lastUsed(), first);
  nowMs += 500;
  assert.equal((await assume(chain.server.url, token)).status, 200);
  assert.equal(lastUsed(), first, 'within the second: not rewritten');
  nowMs += 600;
  assert.equal((await assume(chain.server.url, token)).status, 200);
  assert.equal(lastUsed(), first + 1100, 'a second later: written');
  chain.plane.iam.updateRole(ROLE_NAME, { description: 'changed' });
  nowMs += 200;
  assert.equal((await assume(chain.server.url, token)).status, 200);
  assert.equal(lastUsed(), first + 1100, 'another IAM write in between: read from IAM, still within the second');
  nowMs += 900;
  assert.equal((await assume(chain.server.url, token)).status, 200);
  assert.equal(lastUsed(), first + 2200);
  // the role deleted and created again within the second: the new role has never been used, so it is written
  const role = chain.plane.iam.getRole(ROLE_NAME)!;
  chain.plane.iam.deleteRole(ROLE_NAME);
  chain.plane.iam.createRole({ ...role, lastUsedDate: null, lastUsedRegion: null });
  nowMs += 100;
  assert.equal((await assume(chain.server.url, token)).status, 200);
  assert.equal(lastUsed(), first + 2300);
});
