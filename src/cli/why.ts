/**
 * `irsa why [REQUEST_ID]`: prints why the local AWS plane allowed or denied a request — the policies in scope, each
 * statement's outcome, the failing condition with expected and actual values. Without an id, the last denial.
 * The id is the `x-amzn-RequestId` / `x-amz-request-id` of the response (SDKs put it in `$metadata.requestId`,
 * the AWS CLI prints it with `--debug`); `x-irsa-explain` names it too.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import { openDatabaseReadOnly, readDecisions } from '../aws/index.js';
import { AWS_STATE } from './aws-plane.js';
import type { RegisterCommand } from './commands.js';
import { setExitCode } from './exit-code.js';
import { resolveStateDir } from './state-dir.js';

interface WhyOptions {
  stateDir?: string;
  json?: boolean;
}

export const registerWhyCommand: RegisterCommand = (program, ctx) => {
  program
    .command('why')
    .description('explain an authorization decision of the local AWS plane (default: the last denial)')
    .argument('[request-id]', 'the request id of the response (x-amzn-RequestId / x-amz-request-id)')
    .option('--state-dir <dir>', 'the state directory of irsa up (default $IRSA_STATE_DIR, else .irsa)')
    .option('--json', 'print the decisions as JSON')
    .action((requestId: string | undefined, opts: WhyOptions, command: Command) => {
      const stateDir = resolveStateDir(opts.stateDir, ctx);
      const path = join(stateDir, AWS_STATE.dir, AWS_STATE.database);
      if (!existsSync(path)) {
        throw new UsageError(`no AWS plane state in ${stateDir} (${path} is missing): start \`irsa up\`, or pass --state-dir (or set IRSA_STATE_DIR) to its state directory`);
      }
      const db = openDatabaseReadOnly(path);
      try {
        const decisions = readDecisions(db, requestId === undefined ? {} : { requestId });
        if (decisions.length === 0) {
          ctx.stderr.write(requestId === undefined ? 'irsa why: no denial recorded yet\n' : `irsa why: no decision recorded for request ${requestId} (the log keeps the newest 10000)\n`);
          setExitCode(command, 1);
          return;
        }
        if (opts.json) {
          ctx.stdout.write(`${JSON.stringify(decisions.map((d) => ({ ...d, time: d.time.toISOString() })), null, 2)}\n`);
        } else {
          for (const d of decisions) ctx.stdout.write(`${d.decision} ${d.service} ${d.action} by ${d.principal}\n${d.explanation}\n\n`);
        }
      } finally {
        db.close();
      }
    });
};
