// The process's logger: readable lines in a terminal (pino-pretty, written synchronously so nothing is
// lost at exit), one JSON object per line when piped to a collector or with LOG_FORMAT=json.
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../../config/index.js';

export interface LogOutput {
  /** Whether it is a terminal (pretty by default, in colour). */
  isTTY: boolean;
  /** Where lines go; default stdout (file descriptor 1). */
  destination?: DestinationStream;
}

export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  out: LogOutput = { isTTY: process.stdout.isTTY === true },
): Logger {
  const format = config.logFormat ?? (out.isTTY ? 'pretty' : 'json');
  if (format === 'json') return out.destination ? pino({ level: config.logLevel }, out.destination) : pino({ level: config.logLevel });
  return pino(
    { level: config.logLevel },
    pretty({
      colorize: out.isTTY,
      sync: true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname',
      singleLine: true,
      ...(out.destination ? { destination: out.destination } : {}),
    }),
  );
}
