/**
 * A plane on a temporary SQLite file behind a real listener on 127.0.0.1, with the admin user bootstrapped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createPlane, ensureAdminUser, openDatabase, startAwsServer, type AdminCredentials, type AwsServer, type Plane, type PlaneOptions } from '../../src/aws/index.js';

export interface TestPlane {
  plane: Plane;
  server: AwsServer;
  admin: AdminCredentials;
  dir: string;
  dbPath: string;
}

/** Starts a plane; everything is closed and removed in `t.after`. */
export async function startTestPlane(t: TestContext, options: Partial<PlaneOptions> = {}): Promise<TestPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-aws-'));
  const dbPath = join(dir, 'aws.sqlite');
  const db = openDatabase(dbPath);
  const plane = createPlane({ db, accountId: '111122223333', ...options });
  const admin = ensureAdminUser(plane);
  const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await server.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { plane, server, admin, dir, dbPath };
}

/** Static credentials for an SDK client. */
export function keys(accessKeyId: string, secretAccessKey: string, sessionToken?: string) {
  return { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
}
