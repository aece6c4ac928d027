/**
 * The session store: keys carry the serial of their row, so a lookup is by integer key; a key with another suffix is
 * no session; serials keep rising across restarts; sessions stored before serials (one text key per row) are found
 * after the migration; what a workload's sessions share is stored once (a shape), also across a failed commit; prune
 * deletes sessions expired over a day and, at most hourly, shapes no session uses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoRandom, sessionAccessKeyId, sessionSerialOf, SESSION_SERIAL_LIMIT } from '../../src/aws/ids.js';
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

/** The layout migrations 1–4 left: sessions by serial with every column, legacy text keys, the expiration index. */
function databaseOfMigration4() {
  const db = openDatabase(':memory:');
  db.exec(`CREATE TABLE sts_sessions (
     id INTEGER PRIMARY KEY, access_key_id TEXT NOT NULL, secret_access_key TEXT NOT NULL, session_token_sha256 TEXT NOT NULL,
     expiration INTEGER NOT NULL, issued_at INTEGER NOT NULL, account_id TEXT NOT NULL, role_arn TEXT NOT NULL, role_id TEXT NOT NULL,
     role_name TEXT NOT NULL, session_name TEXT NOT NULL, session_policy TEXT, policy_arns TEXT NOT NULL, tags TEXT NOT NULL,
     transitive_tag_keys TEXT NOT NULL, source_identity TEXT, chained INTEGER NOT NULL, federated_provider TEXT, web_identity TEXT);
   CREATE TABLE sts_legacy_keys (access_key_id TEXT PRIMARY KEY, id INTEGER NOT NULL);
   CREATE INDEX sts_sessions_expiration ON sts_sessions (expiration);
   INSERT INTO schema_migrations (area, version) VALUES ('sts', 1), ('sts', 2), ('sts', 3), ('sts', 4)`);
  return db;
}

test('sessions stored in the layout of migrations 1-4 (a legacy text key, serial rows) are found after migration 5 with the same fields', () => {
  const db = databaseOfMigration4();
  const t = Date.UTC(2026, 11, 6, 12, 0, 0);
  const role = { accountId: '111122223333', roleArn: 'arn:aws:iam::111122223333:role/app', roleId: 'AROAEXAMPLEEXAMPLE01', roleName: 'app' };
  const web = { ...role, sessionPolicy: null, policyArns: [], tags: [], transitiveTagKeys: [], sourceIdentity: null, chained: false,
    federatedProvider: 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com', webIdentity: { iss: 'https://oidc.example.com', sub: 'system:serviceaccount:ns:sa', aud: 'sts.amazonaws.com' } };
  const chained = { ...role, sessionPolicy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
    policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'], tags: [{ key: 'team', value: 'a' }], transitiveTagKeys: ['team'], sourceIdentity: 'alice',
    chained: true, federatedProvider: null, webIdentity: null };
  const serialKey = (id: number) => sessionAccessKeyIdFor(id);
  const rows = [
    { id: SESSION_SERIAL_LIMIT + 1, key: 'ASIAZZZZZZZZZZQ2W3E4', token: 'IQoJlegacy', fields: { ...chained, sessionName: 'legacy' } },
    { id: 1000, key: serialKey(1000), token: 'IQoJone', fields: { ...web, sessionName: 'pod' } },
    { id: 1001, key: serialKey(1001), token: 'IQoJtwo', fields: { ...web, sessionName: 'pod' } },
    { id: 1002, key: serialKey(1002), token: 'IQoJthree', fields: { ...chained, sessionName: 'legacy' } },
    { id: 1003, key: serialKey(1003), token: 'IQoJfour', fields: { ...web, sessionName: 'other' } },
  ];
  const insert = db.prepare('INSERT INTO sts_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (const [n, r] of rows.entries()) {
    const f = r.fields;
    insert.run(r.id, r.key, `secret${n}`.padEnd(40, 'x'), sessionTokenDigest(r.token), t + 3600_000 + n, t + n, f.accountId, f.roleArn, f.roleId, f.roleName,
      f.sessionName, f.sessionPolicy, JSON.stringify(f.policyArns), JSON.stringify(f.tags), JSON.stringify(f.transitiveTagKeys), f.sourceIdentity,
      f.chained ? 1 : 0, f.federatedProvider, f.webIdentity === null ? null : JSON.stringify(f.webIdentity));
  }
  db.prepare('INSERT INTO sts_legacy_keys VALUES (?, ?)').run(rows[0]!.key, rows[0]!.id);
  const sessions = createSessionStore(db, () => new Date(t), cryptoRandom);
  for (const [n, r] of rows.entries()) {
    const { accountId, roleName, roleId, sessionName } = r.fields;
    assert.deepEqual(sessions.getSession(r.key), {
      ...r.fields,
      accessKeyId: r.key,
      secretAccessKey: `secret${n}`.padEnd(40, 'x'),
      sessionTokenSha256: sessionTokenDigest(r.token),
      expiration: new Date(t + 3600_000 + n),
      issuedAt: new Date(t + n),
      assumedRoleArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      assumedRoleId: `${roleId}:${sessionName}`,
    }, `session ${r.key}`);
    assert.deepEqual(sessions.findCredential(r.key)?.sessionTokenSha256, sessionTokenDigest(r.token));
  }
  // one shape per distinct content (the session name is the session's own): the web identity ones, the chained ones
  assert.equal(count(db, 'SELECT count(*) AS n FROM sts_session_shapes'), 2);
  assert.deepEqual(db.prepare('SELECT name FROM sqlite_master WHERE tbl_name = ? AND type = ?').all('sts_sessions', 'index'), [], 'the expiration index is gone');
  // a new session of a migrated shape is stored and found
  const fresh = sessions.issueSessionCredentials({ ...web, sessionName: 'pod', expiration: new Date(t + 3600_000) });
  assert.equal(sessions.getSession(fresh.accessKeyId)?.webIdentity?.sub, 'system:serviceaccount:ns:sa');
});

function count(db: ReturnType<typeof openDatabase>, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

/** An access key id with a given serial (the store makes these; a migrated database already holds them). */
function sessionAccessKeyIdFor(serial: number): string {
  return sessionAccessKeyId(serial, cryptoRandom);
}

const shapeOf = (db: ReturnType<typeof openDatabase>, accessKeyId: string) =>
  count(db, 'SELECT shape_id AS n FROM sts_sessions WHERE id = ?', sessionSerialOf(accessKeyId));

test('sessions of the same role and web identity share one shape row whatever their names; another service account gets another', async () => {
  const db = openDatabase(':memory:');
  const sessions = createSessionStore(db, () => new Date(), cryptoRandom);
  const web = (sessionName: string, serviceAccount = 'sa') => ({ ...input(sessionName), federatedProvider: 'arn:aws:iam::111122223333:oidc-provider/oidc.example.com',
    webIdentity: { iss: 'https://oidc.example.com', sub: `system:serviceaccount:ns:${serviceAccount}`, aud: 'sts.amazonaws.com' } });
  // two of a new shape in one group commit, then more after it (SDKs name each session anew: botocore-session-<time>)
  const [a, b] = await Promise.all([sessions.issueSessionCredentialsBatched(web('pod')), sessions.issueSessionCredentialsBatched(web('pod'))]);
  const c = sessions.issueSessionCredentials(web('botocore-session-1765000000'));
  const d = sessions.issueSessionCredentials(web('pod', 'other'));
  const e = sessions.issueSessionCredentials({ ...web('pod'), webIdentity: null, federatedProvider: null });
  assert.equal(shapeOf(db, a!.accessKeyId), shapeOf(db, b!.accessKeyId));
  assert.equal(shapeOf(db, a!.accessKeyId), shapeOf(db, c.accessKeyId));
  assert.notEqual(shapeOf(db, a!.accessKeyId), shapeOf(db, d.accessKeyId));
  assert.notEqual(shapeOf(db, a!.accessKeyId), shapeOf(db, e.accessKeyId));
  assert.equal(count(db, 'SELECT count(*) AS n FROM sts_session_shapes'), 3);
  assert.equal(sessions.getSession(c.accessKeyId)?.sessionName, 'botocore-session-1765000000');
  assert.equal(sessions.getSession(c.accessKeyId)?.assumedRoleArn, 'arn:aws:sts::111122223333:assumed-role/app/botocore-session-1765000000');
  assert.equal(sessions.getSession(d.accessKeyId)?.webIdentity?.sub, 'system:serviceaccount:ns:other');
  assert.equal(sessions.getSession(e.accessKeyId)?.webIdentity, null);
  assert.equal(sessions.getSession(b!.accessKeyId)?.webIdentity?.sub, 'system:serviceaccount:ns:sa');
});

test('a commit that fails leaves no remembered shape behind: the next session of that shape is stored and found', async () => {
  const db = openDatabase(':memory:');
  const sessions = createSessionStore(db, () => new Date(), cryptoRandom);
  const fail = () => db.exec("CREATE TEMP TRIGGER fail BEFORE INSERT ON sts_sessions BEGIN SELECT RAISE(ABORT, 'forced'); END");
  // a new shape whose shape row is rolled back with its session, in a group commit and in a single insert
  fail();
  await assert.rejects(sessions.issueSessionCredentialsBatched(input('lost')), /forced/);
  assert.throws(() => sessions.issueSessionCredentials(input('lost-too')), /forced/);
  db.exec('DROP TRIGGER fail');
  assert.equal(count(db, 'SELECT count(*) AS n FROM sts_session_shapes'), 0);
  const again = await sessions.issueSessionCredentialsBatched(input('lost'));
  const againToo = sessions.issueSessionCredentials(input('lost-too'));
  assert.equal(sessions.getSession(again.accessKeyId)?.sessionName, 'lost');
  assert.equal(sessions.getSession(againToo.accessKeyId)?.sessionName, 'lost-too');
});

test('prune deletes sessions expired over a day and only those; an hourly sweep deletes shapes no session uses', () => {
  const db = openDatabase(':memory:');
  const t0 = Date.UTC(2026, 11, 6, 12, 0, 0);
  let now = t0;
  const at = (h: number) => t0 + h * 3600_000;
  const clock = () => new Date(now);
  let sessions = createSessionStore(db, clock, cryptoRandom);
  // each kind of session with its own role, so its own shape
  const issue = (role: string, expiration: number) =>
    sessions.issueSessionCredentials({ ...input(role), roleName: role, roleArn: `arn:aws:iam::111122223333:role/${role}`, expiration: new Date(expiration) });
  const shapes = (role: string) => count(db, 'SELECT count(*) AS n FROM sts_session_shapes WHERE role_name = ?', role);
  // a prune runs every 1000 sessions
  const fill = () => {
    for (let i = 0; i < 1000; i++) issue('filler', now + 3600_000);
  };
  const gone = issue('gone', at(1));
  const long = issue('long', at(20)); // longer than STS issues: kept by its expiration, whatever its serial
  now = at(30);
  const recent = issue('recent', at(31));
  fill();
  now = at(37); // `gone` expired 36 h ago, `long` 17 h ago, `recent` 6 h ago
  fill();
  assert.equal(sessions.getSession(gone.accessKeyId), undefined);
  assert.equal(count(db, 'SELECT count(*) AS n FROM sts_sessions WHERE id = ?', sessionSerialOf(gone.accessKeyId)), 0);
  assert.equal(sessions.getSession(long.accessKeyId)?.sessionName, 'long');
  assert.equal(sessions.getSession(recent.accessKeyId)?.sessionName, 'recent');
  assert.equal(count(db, 'SELECT count(*) AS n FROM sts_sessions'), 2002, 'the fillers, long and recent');
  // the shape of `gone` is unused but remembered: kept, and the next session of it uses it again
  assert.equal(shapes('gone'), 1);
  const back = issue('gone', at(38));
  assert.equal(sessions.getSession(back.accessKeyId)?.sessionName, 'gone');
  assert.equal(shapes('gone'), 1);
  // a restart forgets the memo; the first prune after it sweeps unused shapes
  db.prepare('DELETE FROM sts_sessions WHERE id = ?').run(sessionSerialOf(back.accessKeyId));
  sessions = createSessionStore(db, clock, cryptoRandom);
  fill();
  assert.equal(shapes('gone'), 0, 'swept');
  assert.equal(shapes('long'), 1, 'kept: a session uses it');
  const again = issue('gone', at(38));
  assert.equal(sessions.getSession(again.accessKeyId)?.sessionName, 'gone');
  const fillerShapes = shapes('filler'); // the restarted store stored its own
  // the sweep scans every session: not at each prune, once an hour
  db.prepare('DELETE FROM sts_sessions WHERE id = ?').run(sessionSerialOf(long.accessKeyId));
  now += 30 * 60_000;
  fill();
  assert.equal(shapes('long'), 1, 'no sweep within the hour');
  now += 31 * 60_000;
  fill();
  assert.equal(shapes('long'), 0, 'swept an hour later');
  assert.equal(shapes('filler'), fillerShapes, 'a sweep does not make the store forget the shapes it remembers');
  assert.equal(shapes('gone'), 1);
});

test('legacy sessions are pruned by their own id range once expired over a day', () => {
  const db = databaseOfMigration4();
  const t0 = Date.UTC(2026, 11, 6, 12, 0, 0);
  const ins = db.prepare(`INSERT INTO sts_sessions VALUES (?, ?, 's', x'00', ?, ?, '111122223333', 'arn:aws:iam::111122223333:role/app', 'AROAEXAMPLEEXAMPLE01',
    'app', ?, NULL, '[]', '[]', '[]', NULL, 0, NULL, NULL)`);
  ins.run(SESSION_SERIAL_LIMIT + 1, 'ASIAZZZZZZZZZZQ2W3E4', t0 - 3 * 86_400_000, t0 - 3 * 86_400_000 - 3600_000, 'expired');
  ins.run(SESSION_SERIAL_LIMIT + 2, 'ASIAZZZZZZZZZZQ2W3E5', t0 - 3600_000, t0 - 7200_000, 'expired-lately');
  db.exec(`INSERT INTO sts_legacy_keys VALUES ('ASIAZZZZZZZZZZQ2W3E4', ${SESSION_SERIAL_LIMIT + 1}), ('ASIAZZZZZZZZZZQ2W3E5', ${SESSION_SERIAL_LIMIT + 2})`);
  const sessions = createSessionStore(db, () => new Date(t0), cryptoRandom);
  for (let i = 0; i < 1000; i++) sessions.issueSessionCredentials(input('filler'));
  assert.equal(sessions.getSession('ASIAZZZZZZZZZZQ2W3E4'), undefined);
  assert.equal(sessions.getSession('ASIAZZZZZZZZZZQ2W3E5')?.sessionName, 'expired-lately');
  assert.deepEqual(db.prepare('SELECT access_key_id FROM sts_legacy_keys').all(), [{ access_key_id: 'ASIAZZZZZZZZZZQ2W3E5' }]);
});

test('a group commit of more sessions than one statement inserts (17: 8, 8 and 1) stores each with its own fields', async () => {
  const db = openDatabase(':memory:');
  const sessions = createSessionStore(db, () => new Date(), cryptoRandom);
  const names = Array.from({ length: 17 }, (_, i) => `s${i % 5}`);
  const issued = await Promise.all(names.map((name, i) => sessions.issueSessionCredentialsBatched({ ...input(name), expiration: new Date(Date.UTC(2030, 0, 1) + i) })));
  for (const [i, c] of issued.entries()) {
    const s = sessions.getSession(c.accessKeyId);
    assert.equal(s?.sessionName, names[i]);
    assert.equal(s?.expiration.getTime(), Date.UTC(2030, 0, 1) + i);
    assert.equal(s?.secretAccessKey, c.secretAccessKey);
    assert.deepEqual(s?.sessionTokenSha256, sessionTokenDigest(c.sessionToken));
  }
  assert.equal(count(db, 'SELECT count(*) AS n FROM sts_session_shapes'), 1, 'one role: one shape');
});
