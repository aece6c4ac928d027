/**
 * The decision log: rows share their decision's text, the log keeps its bound (texts no row refers to go too), a
 * database written by the previous layout reads back unchanged, and `irsa why`'s reader sees what the plane wrote.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { createDecisionLog, openDatabase, openDatabaseReadOnly, readDecisions, type DecisionText } from '../../src/aws/index.js';

const allow: DecisionText = {
  service: 'iam',
  principal: 'arn:aws:iam::111122223333:user/admin',
  action: 'iam:GetRole',
  resource: 'arn:aws:iam::111122223333:role/app',
  decision: 'Allow',
  summary: 'Allow iam:GetRole on arn:aws:iam::111122223333:role/app: allowed by identity-based policy "admin" statement 0',
  explanation: 'principal arn:aws:iam::111122223333:user/admin\nAllow: iam:GetRole on arn:aws:iam::111122223333:role/app\n  allowed by identity-based policy "admin" statement 0',
};

const denial = (n: number): DecisionText => ({ ...allow, decision: 'ImplicitDeny', action: 'iam:DeleteRole', summary: `ImplicitDeny iam:DeleteRole #${n}`, explanation: `principal arn:aws:iam::111122223333:user/admin\nno statement allows #${n}` });

test('requests decided the same way share one stored text; each reads back whole, with its own request line', () => {
  const log = createDecisionLog(openDatabase(':memory:'));
  const t0 = Date.UTC(2026, 11, 2, 10, 0, 0);
  for (let i = 0; i < 300; i++) log.record(`req-${i}`, new Date(t0 + i), allow);
  log.flush();
  assert.equal(log.count(), 300);
  assert.equal(log.textCount(), 1);
  // a text made again with the same words (a new object each time) is stored once as well
  for (let i = 0; i < 10; i++) log.record(`again-${i}`, new Date(t0), { ...allow });
  log.record('other', new Date(t0), { ...allow, summary: 'different' });
  log.flush();
  assert.equal(log.textCount(), 2);
  assert.equal(log.forRequest('again-9')[0]?.summary, `${allow.summary} (irsa why again-9)`);
  const [one] = log.forRequest('req-7');
  assert.deepEqual(one, {
    ...allow,
    requestId: 'req-7',
    time: new Date(t0 + 7),
    summary: `${allow.summary} (irsa why req-7)`,
    explanation: `request req-7 at 2026-12-02T10:00:00Z\n${allow.explanation}`,
  });
});

test('pending decisions are found before they are written, and the last denial is the newest one', () => {
  const log = createDecisionLog(openDatabase(':memory:'));
  log.record('a', new Date(), denial(1));
  log.flush();
  log.record('b', new Date(), denial(2));
  log.record('c', new Date(), allow);
  assert.equal(log.lastDenial()?.requestId, 'b');
  assert.equal(log.forRequest('c')[0]?.decision, 'Allow');
  log.flush();
  assert.equal(log.lastDenial()?.summary, 'ImplicitDeny iam:DeleteRole #2 (irsa why b)');
});

test('the bound holds: the oldest rows go, and so do the texts no row refers to any more', () => {
  const log = createDecisionLog(openDatabase(':memory:'), { maxEntries: 50 });
  for (let i = 0; i < 400; i++) {
    log.record(`r${i}`, new Date(), i % 2 === 0 ? allow : denial(i));
    if (i % 37 === 0) log.flush();
  }
  log.flush();
  assert.equal(log.count(), 50);
  assert.deepEqual(log.forRequest('r0'), []);
  assert.equal(log.forRequest('r399')[0]?.explanation.endsWith('#399'), true);
  // 25 distinct denial texts and the shared allow text are referenced; the sweep runs once per 50 decisions
  assert.ok(log.textCount() <= 26 + 50, `texts kept: ${log.textCount()}`);
  log.record('again', new Date(), allow);
  log.flush();
  assert.equal(log.forRequest('again')[0]?.summary, `${allow.summary} (irsa why again)`);
});

test('a database written with one row per decision (the previous layout) reads back unchanged after the migration', () => {
  const db = openDatabase(':memory:');
  db.exec(`CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, time INTEGER NOT NULL, service TEXT NOT NULL,
     principal TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL, decision TEXT NOT NULL, summary TEXT NOT NULL, explanation TEXT NOT NULL)`);
  db.exec("INSERT INTO schema_migrations (area, version) VALUES ('decisions', 1), ('decisions', 2), ('decisions', 3), ('decisions', 4)");
  const time = Date.UTC(2026, 10, 30, 8, 15, 0);
  const old = {
    summary: 'ImplicitDeny iam:TagRole on arn:aws:iam::111122223333:role/x: no statement allows (irsa why 0f0f)',
    explanation: 'request 0f0f at 2026-11-30T08:15:00Z\nprincipal arn:aws:sts::111122223333:assumed-role/app/s\npolicies in scope: identity [read]',
  };
  db.prepare('INSERT INTO decisions (request_id, time, service, principal, action, resource, decision, summary, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    '0f0f', time, 'iam', 'arn:aws:sts::111122223333:assumed-role/app/s', 'iam:TagRole', 'arn:aws:iam::111122223333:role/x', 'ImplicitDeny', old.summary, old.explanation,
  );
  const log = createDecisionLog(db);
  const [migrated] = log.forRequest('0f0f');
  assert.equal(migrated?.summary, old.summary);
  assert.equal(migrated?.explanation, old.explanation);
  assert.equal(log.lastDenial()?.requestId, '0f0f');
  log.record('next', new Date(), allow);
  log.flush();
  assert.equal(log.count(), 2);
});

test('irsa why reads what the plane wrote, from another connection; nothing recorded yet is an empty answer', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-decisions-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'aws.sqlite');
  const db = openDatabase(path);
  assert.deepEqual(readDecisions(openDatabaseReadOnly(path), {}), []);
  const log = createDecisionLog(db);
  log.record('x1', new Date(), denial(9));
  log.record('x2', new Date(), allow);
  log.flush();
  const reader = openDatabaseReadOnly(path);
  assert.equal(readDecisions(reader, {})[0]?.requestId, 'x1');
  assert.equal(readDecisions(reader, { requestId: 'x2' })[0]?.decision, 'Allow');
  assert.deepEqual(readDecisions(reader, { requestId: 'nope' }), []);
});
