import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevelName } from '../config/env';

export interface LogSettings {
  level: LogLevelName;
  format: LogFormat;
}

/** The options every process logs with; `destination` is for tests. */
export function loggerOptions({ level, format }: LogSettings): LoggerOptions {
  return {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    // JSON lines carry the level's name ("info"), not pino's number: collectors and
    // people read the same field. pino-pretty prints its own level column.
    formatters: format === 'json' ? { level: (label) => ({ level: label }) } : {},
  };
}

function destinationFor(format: LogFormat): DestinationStream {
  if (format === 'json') return pino.destination({ dest: 1, sync: true });
  return pretty({
    destination: 1,
    sync: true,
    colorize: Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}

const roots = new Map<string, Logger>();

/**
 * The process's pino logger for these settings, created once: Nest's logger, the
 * request logger and the worker's job lines all write through it to stdout.
 */
export function rootLogger(settings: LogSettings): Logger {
  const key = `${settings.level}:${settings.format}`;
  let logger = roots.get(key);
  if (!logger) {
    logger = pino(loggerOptions(settings), destinationFor(settings.format));
    roots.set(key, logger);
  }
  return logger;
}
