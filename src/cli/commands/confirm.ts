import { Command } from 'commander';
import { EXIT } from '../errors';

/**
 * Destructive commands run only with --yes: without it, a usage error (exit 2) that
 * says what would have happened. No prompt, so that a script never hangs on one.
 */
export function requireYes(command: Command, yes: boolean | undefined, what: string): void {
  if (yes) return;
  command.error(`error: ${what}: add --yes to confirm`, {
    exitCode: EXIT.usage,
    code: 'jobq.confirmationRequired',
  });
}
