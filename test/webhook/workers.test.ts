/**
 * The `--workers N` worker's identity store over real IPC: a child process runs `createWorkerIdentityStore` and the
 * test plays the primary (snapshot in chunks, changes, answers to misses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfigMapConfig, parseContainerCredentialsConfig, type ServiceAccountLookup } from '../../src/webhook/index.js';

const ROLE = 'eks.amazonaws.com/role-arn';
const ARN = 'arn:aws:iam::111122223333:role/s3-reader';
const sa = (namespace: string, name: string) => ({ namespace, name, annotations: { [ROLE]: ARN } });

/** What a user checks of a lookup: where it came from, and which ServiceAccount with which role. */
const seen = (lookup: ServiceAccountLookup): string =>
  lookup.serviceAccount ? `${lookup.source} ${lookup.serviceAccount.namespace}/${lookup.serviceAccount.name} ${lookup.serviceAccount.annotations[ROLE]}` : lookup.source;

interface Answer { lookup: ServiceAccountLookup; configMap: unknown; containerCredentials: unknown; synced: boolean; size: number }

function nextMessage<T>(child: ChildProcess, wanted: (m: Record<string, unknown>) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (typeof m !== 'object' || m === null || !wanted(m as Record<string, unknown>)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`the worker exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

test('worker store: answers from the last complete snapshot, applies changes, asks the primary on a miss', async () => {
  const child = fork(fileURLToPath(new URL('./worker-store-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
  const primaryLookups: string[] = [];
  // The primary's side of a miss: it answers `team/late` as found by its direct GET, anything else as a miss.
  child.on('message', (m: { irsa?: string; id: number; namespace: string; name: string }) => {
    if (m.irsa !== 'lookup') return;
    primaryLookups.push(`${m.namespace}/${m.name}`);
    const found = m.namespace === 'team' && m.name === 'late';
    child.send({ irsa: 'lookup-result', id: m.id, result: found ? { serviceAccount: sa('team', 'late'), source: 'api' } : { serviceAccount: undefined, source: 'miss' } });
  });
  const ask = (namespace: string, name: string): Promise<Answer> => {
    const answer = nextMessage<Answer>(child, (m) => m.test === 'result');
    child.send({ test: 'lookup', namespace, name });
    return answer;
  };
  try {
    await nextMessage(child, (m) => m.irsa === 'hello');
    const configMap = parseConfigMapConfig(JSON.stringify({ 'default/cm': { RoleARN: ARN } })).entries;
    const containerCredentials = parseContainerCredentialsConfig(JSON.stringify({ identities: [{ namespace: 'default', serviceAccount: 'cc' }] }));
    const ready = nextMessage(child, (m) => m.test === 'ready');
    child.send({ irsa: 'snapshot', head: { configMap, containerCredentials, synced: true } });
    child.send({ irsa: 'snapshot-accounts', serviceAccounts: [sa('default', 'a'), sa('default', 'b')] });
    child.send({ irsa: 'snapshot-accounts', serviceAccounts: [sa('team', 'c')] });
    child.send({ irsa: 'snapshot-end' });
    await ready;

    const first = await ask('team', 'c');
    assert.equal(seen(first.lookup), `cache team/c ${ARN}`);
    assert.deepEqual(first.configMap, configMap);
    assert.deepEqual(first.containerCredentials, containerCredentials);
    assert.equal(first.synced, true);
    assert.equal(first.size, 0, 'the primary reports the cache size, workers 0');

    // A miss goes to the primary, whose answer (here found by its direct GET) is the worker's.
    assert.equal(seen((await ask('team', 'late')).lookup), `api team/late ${ARN}`);
    assert.equal(seen((await ask('team', 'nobody')).lookup), 'miss');
    assert.deepEqual(primaryLookups, ['team/late', 'team/nobody']);

    // Changes apply to the held copy.
    child.send({ irsa: 'change', change: { type: 'set', serviceAccount: sa('team', 'd') } });
    child.send({ irsa: 'change', change: { type: 'delete', namespace: 'default', name: 'a' } });
    assert.equal(seen((await ask('team', 'd')).lookup), `cache team/d ${ARN}`);
    assert.equal(seen((await ask('default', 'a')).lookup), 'miss');
    assert.deepEqual(primaryLookups, ['team/late', 'team/nobody', 'default/a']);

    // A new snapshot replaces everything, but only once complete: until its end the previous copy answers.
    child.send({ irsa: 'snapshot', head: { configMap: undefined, containerCredentials: undefined, synced: false } });
    child.send({ irsa: 'snapshot-accounts', serviceAccounts: [sa('other', 'e')] });
    const during = await ask('default', 'b');
    assert.equal(seen(during.lookup), `cache default/b ${ARN}`);
    assert.equal(during.synced, true);
    child.send({ irsa: 'snapshot-end' });
    const after = await ask('other', 'e');
    assert.equal(seen(after.lookup), `cache other/e ${ARN}`);
    assert.equal(after.configMap, undefined);
    assert.equal(after.containerCredentials, undefined);
    assert.equal(after.synced, false);
    assert.equal(seen((await ask('default', 'b')).lookup), 'miss');
  } finally {
    child.kill();
  }
});
