/**
 * How an action reports a non-zero exit without an error (a deny, a high-severity finding): it marks its command,
 * and `main` reads the mark after the action. Kept apart from main.ts so command modules don't import main
 * (main → commands → a command → main would be a cycle).
 * @module
 */
import type { Command } from 'commander';

const EXIT_CODE = Symbol('irsa.exitCode');

type MarkedCommand = Command & { [EXIT_CODE]?: number };

/** Sets the exit code of the command being run. */
export function setExitCode(command: Command, code: number): void {
  (command as MarkedCommand)[EXIT_CODE] = code;
}

/** The exit code an action set, if any. */
export function exitCodeOf(command: Command): number | undefined {
  return (command as MarkedCommand)[EXIT_CODE];
}
