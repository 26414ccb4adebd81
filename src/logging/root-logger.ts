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

/**
 * Lines waiting for stdout beyond this are dropped: a log reader that stops reading
 * must not stop the queue (a blocking write would), nor grow memory without bound.
 */
export const LOG_BUFFER_LIMIT_BYTES = 16 * 1024 * 1024;

function destinationFor(format: LogFormat): DestinationStream {
  if (format === 'json') {
    // Asynchronous writes: a line costs no system call of its own under load, and pino
    // writes what is buffered synchronously when the process exits.
    return pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_LIMIT_BYTES });
  }
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
