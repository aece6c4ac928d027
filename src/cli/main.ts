/**
 * The `irsa` command line: builds the commander program from the command modules and maps errors to exit codes
 * (0 success, 1 a negative answer such as a deny, 2 bad input).
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { IrsaError } from '../lib/errors.js';
import { commands } from './commands.js';
import { processContext, type CliContext } from './context.js';
import { exitCodeOf } from './exit-code.js';

/**
 * The package version, read once from package.json (two folders up from both src/cli/ and dist/cli/), so that
 * `irsa --version` and `irsa webhook --version` can never disagree with what npm installed.
 */
const VERSION = readPackageVersion();

function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new TypeError('package.json has no "version" string');
  return pkg.version;
}

/** Builds the program; commands write through `ctx` and report a non-zero exit with `setExitCode` or by throwing. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('irsa')
    .description('IAM Roles for Service Accounts, end to end: webhook, issuer, policy engine and tools')
    .version(VERSION)
    .exitOverride();
  configure(program, ctx);
  for (const register of commands) register(program, ctx);
  for (const sub of program.commands) applyDefaults(sub, ctx);
  // The root's options (--version, --help) count only before the command name, so `irsa webhook --version` reaches
  // the webhook's own flag parser (upstream's `--version`). Set after registering: subcommands do not inherit it.
  program.enablePositionalOptions();
  return program;
}

function applyDefaults(command: Command, ctx: CliContext): void {
  configure(command.exitOverride(), ctx);
  for (const sub of command.commands) applyDefaults(sub, ctx);
}

/** `irsa exec`, `irsa policy eval`: the words a user types, for "run … --help". */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Output of every command: help wrapped at 80 columns (descriptions wrap even beside long flag names), and
 * commander's own errors (unknown flag, missing argument) in the one-line `irsa: …` format of every other error.
 */
function configure(command: Command, ctx: CliContext): void {
  command
    .configureHelp({
      helpWidth: 80,
      // beside long flag names too little room is left: the description goes below the flag, indented, wrapped
      formatItem(term, termWidth, description, helper) {
        if (termWidth <= 30 || description === '') return Help.prototype.formatItem.call(helper, term, termWidth, description, helper);
        return `  ${term}\n${helper.boxWrap(description, 72).replace(/^/gm, '        ')}`;
      },
    })
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (message, write) => {
        const text = message.trim().replace(/^error: /, '').replace(/\n+/g, '; ');
        write(`irsa: ${text}; run ${commandPath(command)} --help for usage\n`);
      },
    });
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code; never throws for user errors.
 * @example
 * process.exitCode = await main(['policy', 'validate', 'trust.json']);
 */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  let code = 0;
  program.hook('postAction', (_this, action) => {
    const result = exitCodeOf(action);
    if (result !== undefined) code = result;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    return reportError(err, ctx);
  }
}

function reportError(err: unknown, ctx: CliContext): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    // `irsa` or `irsa keys` without a command: the help went to stderr, and a missing command is a usage error
    if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
    if (err.code === 'commander.executeSubCommandAsync') return err.exitCode;
    return 2; // commander already printed the message
  }
  if (err instanceof IrsaError) {
    ctx.stderr.write(`irsa: ${err.message}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  ctx.stderr.write(`irsa: internal error: ${message}\n`);
  return 70;
}
