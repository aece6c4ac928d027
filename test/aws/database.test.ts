import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { applyMigrations, openDatabase } from '../../src/aws/storage/database.js';

test('migrations apply once each, in order, and survive reopening', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-db-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'aws.sqlite');
  const steps = ['CREATE TABLE a (x INTEGER)', 'ALTER TABLE a ADD COLUMN y TEXT'];
  let db = openDatabase(file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  applyMigrations(db, 'test', steps);
  db.prepare('INSERT INTO a (x, y) VALUES (1, ?)').run('kept');
  db.close();
  db = openDatabase(file);
  applyMigrations(db, 'test', [...steps, 'CREATE INDEX a_x ON a (x)']);
  assert.deepEqual(db.prepare('SELECT x, y FROM a').all(), [{ x: 1, y: 'kept' }]);
  assert.deepEqual(db.prepare("SELECT version FROM schema_migrations WHERE area = 'test' ORDER BY version").all().map((r: any) => r.version), [1, 2, 3]);
  db.close();
});

test('a failing migration leaves no half-applied step', () => {
  const db = openDatabase(':memory:');
  assert.throws(() => applyMigrations(db, 'bad', ['CREATE TABLE b (x INTEGER); CREATE TABLE b (y INTEGER)']));
  assert.equal((db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'").get() as { n: number }).n, 0);
  assert.equal((db.prepare("SELECT count(*) AS n FROM schema_migrations WHERE area = 'bad'").get() as { n: number }).n, 0);
});
