/**
 * The mutation flags are declared once (src/cli/mutation-flag-table.ts): `irsa webhook` (pflag) and `irsa inject`,
 * `irsa exec`, `irsa doctor` (commander) show the same help text for each, and parse the same arguments to the
 * same values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { MUTATION_FLAGS, mutationSettingsOf, type MutationFlags } from '../../src/cli/mutation-flag-table.js';
import { addMutationOptions, mutationFlagsFromOptions, type MutationFlagValues } from '../../src/cli/mutation-flags.js';
import { parseWebhookFlags } from '../../src/cli/webhook-flags.js';
import { runCli } from './capture.js';

const oneLine = (text: string): string => text.replace(/\s+/g, ' ');

test('irsa webhook --help and irsa inject/exec/doctor --help show the same help text for each mutation flag', async () => {
  const webhook = await runCli(['webhook', '--help']);
  assert.equal(webhook.code, 0);
  for (const command of ['inject', 'exec', 'doctor']) {
    const help = await runCli([command, '--help']);
    assert.equal(help.code, 0, command);
    for (const flag of MUTATION_FLAGS) {
      const type = flag.kind === 'bool' ? '' : ` ${flag.kind}`;
      assert.ok(webhook.stdout.includes(`    --${flag.name}${type}\n        ${flag.usage}`), `irsa webhook --help: --${flag.name}`);
      const value = flag.kind === 'bool' ? `[${flag.valueName}]` : `<${flag.valueName}>`;
      assert.ok(oneLine(help.stdout).includes(`--${flag.name} ${value} ${flag.usage} (default: `), `irsa ${command} --help: --${flag.name}`);
    }
  }
});

function commanderFlags(argv: string[]): MutationFlags {
  const command = addMutationOptions(new Command('inject').exitOverride());
  command.parse(argv, { from: 'user' });
  return mutationFlagsFromOptions(command.opts<MutationFlagValues>());
}

function webhookFlags(argv: string[]): MutationFlags {
  const { flags, errors } = parseWebhookFlags(argv);
  assert.deepEqual(errors, [], argv.join(' '));
  return Object.fromEntries(MUTATION_FLAGS.map((f) => [f.key, flags[f.key]])) as unknown as MutationFlags;
}

test('both adapters parse the same arguments to the same values and settings (defaults, Go ints and bools)', () => {
  const cases = [
    [],
    ['--token-expiration=0x1c20', '--sts-regional-endpoint'],
    ['--token-expiration', '3_600', '--sts-regional-endpoint=T', '--annotation-prefix=iam.example.com', '--aws-default-region', 'eu-west-1'],
    ['--token-expiration=100', '--sts-regional-endpoint=0', '--watch-container-credentials-config=/etc/pi.json', '--container-credentials-full-uri', 'http://127.0.0.1/creds'],
    ['--token-audience=', '--container-credentials-audience', 'x', '--container-credentials-token-mount-path=/m', '--container-credentials-token-volume-name=v', '--container-credentials-token-path=t', '--token-mount-path=/w'],
  ];
  for (const argv of cases) {
    const fromCommander = commanderFlags(argv);
    assert.deepEqual(fromCommander, webhookFlags(argv), argv.join(' '));
    assert.deepEqual(mutationSettingsOf(fromCommander), mutationSettingsOf(webhookFlags(argv)), argv.join(' '));
  }
  assert.equal(mutationSettingsOf(commanderFlags(['--token-expiration=100'])).tokenExpiration, 600, 'raised to 600 by the one mapper');
});

test('a bad value is refused by both adapters, each naming the flag', () => {
  for (const [argv, pflag, commander] of [
    [['--token-expiration=1h'], /invalid argument "1h" for "--token-expiration" flag: strconv\.ParseInt/, /^--token-expiration "1h": use a whole number of seconds/],
    [['--sts-regional-endpoint=maybe'], /invalid argument "maybe" for "--sts-regional-endpoint" flag: strconv\.ParseBool/, /^--sts-regional-endpoint "maybe": use true or false/],
  ] as const) {
    assert.match(parseWebhookFlags(argv).errors[0] ?? '', pflag);
    assert.throws(() => commanderFlags([...argv]), (err: Error & { exitCode?: number }) => commander.test(err.message) && err.exitCode === 2);
  }
});
