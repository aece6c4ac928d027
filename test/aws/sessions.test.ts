/**
 * The session store: keys carry the serial of their row, so a lookup is by integer key; a key with another suffix is
 * no session; serials keep rising across restarts; sessions stored before serials (one text key per row) are found
 * after the migration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, sessionSerialOf } from '../../src/aws/ids.js';
import { sessionTokenDigest } from '../../src/aws/credentials.js';
import { createSessionStore } from '../../src/aws/sessions.js';
import { openDatabase } from '../../src/aws/storage/database.js';

const input = (sessionName: string) => ({
  accountId: '111122223333',
  roleArn: 'arn:aws:iam::111122223333:role/app',
  roleId: 'AROAEXAMPLEEXAMPLE01',
  roleName: 'app',
  sessionName,
  expiration: new Date(Date.now() + 3600_000),
});

test('a session is found by its key; the same serial with another suffix, or a key never issued, is no session', () => {
  const sessions = createSessionStore(openDatabase(':memory:'), () => new Date(), cryptoRandom);
  const a = sessions.issueSessionCredentials(input('a'));
  assert.match(a.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(sessions.getSession(a.accessKeyId)?.sessionName, 'a');
  const forged = `${a.accessKeyId.slice(0, 19)}${a.accessKeyId.endsWith('A') ? 'B' : 'A'}`;
  assert.equal(sessionSerialOf(forged), sessionSerialOf(a.accessKeyId));
  assert.equal(sessions.getSession(forged), undefined);
  assert.equal(sessions.findCredential(forged), undefined);
  assert.equal(sessions.getSession('ASIAAAAAAAAAAAAAAAAA'), undefined);
  assert.equal(sessions.getSession('ASIA-not-a-key'), undefined);
});

test('serials rise with every session, also with the clock standing still or going back, and across a restart', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-sessions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = Date.UTC(2026, 11, 6, 12, 0, 0);
  const clock = () => new Date(now);
  const first = createSessionStore(openDatabase(join(dir, 'aws.sqlite')), clock, cryptoRandom);
  const serials: number[] = [];
  for (let i = 0; i < 5; i++) serials.push(sessionSerialOf(first.issueSessionCredentials(input(`s${i}`)).accessKeyId)!);
  now -= 60_000;
  serials.push(sessionSerialOf(first.issueSessionCredentials(input('back')).accessKeyId)!);
  const again = createSessionStore(openDatabase(join(dir, 'aws.sqlite')), clock, cryptoRandom);
  const after = again.issueSessionCredentials(input('after'));
  serials.push(sessionSerialOf(after.accessKeyId)!);
  for (let i = 1; i < serials.length; i++) assert.ok(serials[i]! > serials[i - 1]!, `serial ${i} ${serials[i]} after ${serials[i - 1]}`);
  assert.equal(again.getSession(after.accessKeyId)?.sessionName, 'after');
});

test('a session token is stored only as its SHA-256: no column holds the token, and its digest identifies it', () => {
  const db = openDatabase(':memory:');
  const sessions = createSessionStore(db, () => new Date(), cryptoRandom);
  const issued = sessions.issueSessionCredentials(input('digest'));
  const row = db.prepare('SELECT * FROM sts_sessions WHERE id = ?').get(sessionSerialOf(issued.accessKeyId)) as Record<string, unknown>;
  for (const [column, value] of Object.entries(row)) {
    assert.ok(!(typeof value === 'string' && value.includes(issued.sessionToken)), `column ${column} holds the token`);
    assert.ok(!(Buffer.isBuffer(value) && value.includes(Buffer.from(issued.sessionToken))), `column ${column} holds the token`);
  }
  assert.deepEqual(row.session_token_sha256, sessionTokenDigest(issued.sessionToken));
  assert.deepEqual(sessions.findCredential(issued.accessKeyId)?.sessionTokenSha256, sessionTokenDigest(issued.sessionToken));
  assert.equal(row.secret_access_key, issued.secretAccessKey, 'the secret stays: SigV4 recomputes signatures with it');
});

test('sessions stored with text keys (the previous layout) are found after the migration, and new ones get serials', () => {
  const db = openDatabase(':memory:');
  db.exec(`CREATE TABLE sts_sessions (
     access_key_id TEXT PRIMARY KEY, secret_access_key TEXT NOT NULL, session_token TEXT NOT NULL, expiration INTEGER NOT NULL,
     issued_at INTEGER NOT NULL, account_id TEXT NOT NULL, role_arn TEXT NOT NULL, role_id TEXT NOT NULL, role_name TEXT NOT NULL,
     session_name TEXT NOT NULL, session_policy TEXT, policy_arns TEXT NOT NULL, tags TEXT NOT NULL, transitive_tag_keys TEXT NOT NULL,
     source_identity TEXT, chained INTEGER NOT NULL, federated_provider TEXT, web_identity TEXT);
   CREATE INDEX sts_sessions_expiration ON sts_sessions (expiration);
   INSERT INTO schema_migrations (area, version) VALUES ('sts', 1), ('sts', 2)`);
  // a random key of the old kind, whose first ten characters read as a serial no new session has
  const oldKey = 'ASIAZZZZZZZZZZQ2W3E4';
  db.prepare('INSERT INTO sts_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    oldKey, 'secretsecretsecretsecretsecretsecret1234', 'IQoJold', Date.now() + 3600_000, Date.now(), '111122223333',
    'arn:aws:iam::111122223333:role/app', 'AROAEXAMPLEEXAMPLE01', 'app', 'old', null, '[]', '[{"key":"team","value":"a"}]', '[]', null, 0, null, null,
  );
  const sessions = createSessionStore(db, () => new Date(), cryptoRandom);
  const old = sessions.getSession(oldKey);
  assert.equal(old?.sessionName, 'old');
  assert.deepEqual(old?.tags, [{ key: 'team', value: 'a' }]);
  assert.equal(sessions.findCredential(oldKey)?.secretAccessKey, 'secretsecretsecretsecretsecretsecret1234');
  // its token, stored in clear then, is now kept as its digest: the same token still belongs to the key
  assert.deepEqual(sessions.findCredential(oldKey)?.sessionTokenSha256, sessionTokenDigest('IQoJold'));
  const stored = db.prepare('SELECT session_token_sha256 AS t FROM sts_sessions s JOIN sts_legacy_keys k ON k.id = s.id WHERE k.access_key_id = ?').get(oldKey) as { t: Buffer };
  assert.deepEqual(stored.t, sessionTokenDigest('IQoJold'));
  const fresh = sessions.issueSessionCredentials(input('new'));
  assert.equal(sessions.getSession(fresh.accessKeyId)?.sessionName, 'new');
  assert.ok(sessionSerialOf(fresh.accessKeyId)! < sessionSerialOf(oldKey)!, 'new serials come from the clock, not after the old random keys');
});
