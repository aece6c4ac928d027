/**
 * Structured logging: JSON lines (pino) by default, human-readable text when asked or when stderr is a terminal.
 * @module
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

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
    return pino({ level, base }, pino.transport({
      target: 'pino-pretty',
      options: { destination: typeof options.destination === 'number' ? options.destination : 2, colorize: false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    }));
  }
  const destination = options.destination ?? 2;
  return pino({ level, base }, typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination);
}
