import { Command } from 'commander';
import { JobqApi } from './api-client';
import { CliIo } from './io';
import { GlobalOptions } from './options';

/** What a command's action gets: the API client, the output, the clock. */
export interface CommandContext {
  api: JobqApi;
  io: CliIo;
  /** Writes one line to stdout. */
  print(line: string): void;
  /** Epoch seconds, the unit of the API's timestamps. */
  now(): number;
}

/** Options every API command has, beside its own. */
export type CommonOptions = GlobalOptions & { json?: boolean };

/** A command's action: its arguments, its options; resolves to the exit code (0 if none). */
export type ActionBody<O> = (
  ctx: CommandContext,
  options: O & CommonOptions,
  args: string[],
  command: Command,
) => Promise<number | void>;

/** Turns an action body into a commander action (see program.ts). */
export type Run = <O>(body: ActionBody<O>) => (...actionArgs: unknown[]) => Promise<void>;
