/** A plane with S3 on a state directory, for the kill -9 test: prints {"port","accessKeyId","secretAccessKey"}. */
import { join } from 'node:path';
import { createPlane, ensureAdminUser, openDatabase, startAwsServer } from '../../../src/aws/index.js';
import { createS3Service } from '../../../src/aws/s3/index.js';

const dir = process.argv[2]!;
const db = openDatabase(join(dir, 'aws.sqlite'));
const plane = createPlane({ db, accountId: '111122223333', dataDir: join(dir, 'objects'), restService: createS3Service() });
const admin = ensureAdminUser(plane);
const server = await startAwsServer({ plane, host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: server.port, accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey })}\n`);
