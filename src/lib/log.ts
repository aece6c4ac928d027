/**
 * Structured logging: JSON lines (pino) by default, human-readable text when asked or when stderr is a terminal.
 * @module
 */
import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type { PinoPretty as PinoPrettyFn } from 'pino-pretty';

export type { Logger };
export type LogFormat = 'json' | 'text';

export interface CreateLoggerOptions {
  level?: LevelWithSilent;
  /** `text` prints one readable line per entry; default: `text` on a terminal, else `json`. */
  format?: LogFormat;
  /** Where lines go; default stderr (fd 2). */
  destination?: NodeJS.WritableStream | number;
  name?: string;
}

/** Creates a logger; never a module-level singleton, so each server or command owns its own. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const format = options.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const base = options.name ? { name: options.name } : {};
  if (format === 'text') {
    const prettyOptions = { colorize: false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' };
    // a stream cannot be handed to the transport's worker thread: format on this thread into it
    if (options.destination !== undefined && typeof options.destination !== 'number') {
      const { PinoPretty } = createRequire(import.meta.url)('pino-pretty') as { PinoPretty: typeof PinoPrettyFn }; // loaded only here
      return pino({ level, base }, PinoPretty({ ...prettyOptions, destination: options.destination }));
    }
    return pino({ level, base }, pino.transport({ target: 'pino-pretty', options: { ...prettyOptions, destination: options.destination ?? 2 } }));
  }
  const destination = options.destination ?? 2;
  return pino({ level, base }, typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination);
}
