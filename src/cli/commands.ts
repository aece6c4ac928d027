/**
 * The list of `irsa` subcommands: each module registers itself on the program. One line per command module.
 * @module
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { registerCredentialsSecretCommand } from './credentials-secret.js';
import { registerDoctorCommand } from './doctor.js';
import { registerExecCommand } from './exec.js';
import { registerInjectCommand } from './inject.js';
import { registerKeysCommand } from './keys.js';
import { registerOidcCommand } from './oidc.js';
import { registerPolicyCommand } from './policy.js';
import { registerTokenCommand } from './token.js';
import { registerUpCommand } from './up.js';
import { registerWebhookCommand } from './webhook.js';
import { registerWhyCommand } from './why.js';

/** A command module: adds its subcommand(s) to the program; actions report a non-zero exit with `setExitCode` or by throwing. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const commands: RegisterCommand[] = [
  registerUpCommand,
  registerWebhookCommand,
  registerInjectCommand,
  registerExecCommand,
  registerKeysCommand,
  registerOidcCommand,
  registerTokenCommand,
  registerCredentialsSecretCommand,
  registerPolicyCommand,
  registerDoctorCommand,
  registerWhyCommand,
];
