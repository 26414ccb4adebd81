import { Command } from 'commander';
// The same code as `npm run cleanup` (scripts/cleanup.js, beside dist/ and src/ alike).
import { runCleanup } from '../../../scripts/cleanup';
import { Run } from '../context';
import { requireYes } from './confirm';

interface CleanupOptions {
  redisUrl?: string;
  prefix?: string;
  yes?: boolean;
}

export function registerCleanupCommand(program: Command, run: Run): void {
  program
    .command('cleanup')
    .summary('Delete every key of the queue from Redis (as npm run cleanup)')
    .description(
      'Delete every key under QUEUE_PREFIX from Redis: jobs, queues, indexes, counters. Talks to ' +
        'Redis directly, not to the API (the same code as npm run cleanup); stop the API and the ' +
        'workers first, or they write keys again',
    )
    .option(
      '--redis-url <url>',
      'default: REDIS_URL (environment, then .env), else redis://127.0.0.1:6379',
    )
    .option('--prefix <prefix>', 'default: QUEUE_PREFIX (environment, then .env), else jobs')
    .option('--yes', 'confirm: cleanup refuses to run without it')
    .action(
      run<CleanupOptions>(async (_ctx, o, _args, command) => {
        requireYes(command, o.yes, 'cleanup deletes every key of the queue');
        return runCleanup({ yes: true, redisUrl: o.redisUrl, prefix: o.prefix });
      }),
    );
}
