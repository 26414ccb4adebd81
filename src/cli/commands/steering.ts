import { Command, Option } from 'commander';
import { PRIORITIES } from '../../queue/job-keys';
import { CommandContext, Run } from '../context';
import { duration } from '../format';
import { JSON_OPTION_HELP, wholeNumber } from '../options';
import { requireYes } from './confirm';

/** The finished states POST /jobs/purge accepts. */
const PURGEABLE = ['completed', 'failed', 'cancelled'] as const;

interface RetryFailedOptions {
  type?: string;
  priority?: string;
  max?: number;
}

interface PurgeOptions {
  status: string;
  olderThanS?: number;
  yes?: boolean;
}

/** cancel, retry, retry-failed and purge: the routes ADMIN_API_KEYS guards. */
export function registerSteeringCommands(program: Command, run: Run): void {
  program
    .command('cancel')
    .summary('Cancel a pending or processing job')
    .description(
      'Cancel a job: a pending one at once; a processing one has its attempt aborted ' +
        '(the API answers 202 and the job ends cancelled unless the attempt finishes first)',
    )
    .argument('<job-id>')
    .option('--json', JSON_OPTION_HELP)
    .action(run((ctx, o, [id]) => cancel(ctx, id, Boolean(o.json))));

  program
    .command('retry')
    .description('Run a failed or cancelled job again, with its full retry budget')
    .argument('<job-id>')
    .option('--json', JSON_OPTION_HELP)
    .action(run((ctx, o, [id]) => retry(ctx, id, Boolean(o.json))));

  program
    .command('retry-failed')
    .description('Run every failed job matching the filters again (oldest first)')
    .option('--type <job-type>', 'only jobs of this job_type')
    .addOption(
      new Option('--priority <priority>', 'only jobs of this priority').choices(PRIORITIES),
    )
    .addOption(
      new Option('--max <n>', 'at most this many jobs (the API allows up to 100000)').argParser(
        wholeNumber(1),
      ),
    )
    .option('--json', JSON_OPTION_HELP)
    .action(run<RetryFailedOptions>((ctx, o) => retryFailed(ctx, o)));

  program
    .command('purge')
    .description('Delete finished jobs in one state for good')
    .addOption(
      new Option('--status <status>', 'the state of the jobs to delete')
        .choices(PURGEABLE)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--older-than-s <seconds>',
        'only jobs that finished at least this many seconds ago (default: all)',
      ).argParser(wholeNumber(0)),
    )
    .option('--yes', 'confirm: purge refuses to run without it')
    .option('--json', JSON_OPTION_HELP)
    .action(
      run<PurgeOptions>((ctx, o, _args, command) => {
        requireYes(command, o.yes, 'purge deletes jobs for good');
        return purge(ctx, o);
      }),
    );
}

async function cancel(ctx: CommandContext, id: string, json: boolean) {
  const { status, body, text } = await ctx.api.cancel(id);
  if (json) return ctx.print(text);
  if (status === 202) {
    ctx.print(
      `Cancel requested: job ${body.job_id} is processing and its attempt is being aborted; ` +
        `it ends cancelled unless the attempt finishes first (follow it: jobq status ${body.job_id} --watch).`,
    );
  } else {
    ctx.print(`Cancelled job ${body.job_id}.`);
  }
}

async function retry(ctx: CommandContext, id: string, json: boolean) {
  const { body, text } = await ctx.api.retry(id);
  if (json) return ctx.print(text);
  const lastError = body.last_error ? `; last error: ${body.last_error}` : '';
  ctx.print(`Job ${body.job_id} is ${body.status} again (${body.priority} priority${lastError}).`);
}

async function retryFailed(ctx: CommandContext, o: RetryFailedOptions & { json?: boolean }) {
  const { body, text } = await ctx.api.retryFailed({
    job_type: o.type,
    priority: o.priority,
    max: o.max,
  });
  if (o.json) return ctx.print(text);
  ctx.print(`Queued ${body.retried} failed job(s) again.`);
}

async function purge(ctx: CommandContext, o: PurgeOptions & { json?: boolean }) {
  const { body, text } = await ctx.api.purge({ status: o.status, older_than_s: o.olderThanS });
  if (o.json) return ctx.print(text);
  const age =
    o.olderThanS === undefined ? '' : ` that finished more than ${duration(o.olderThanS)} ago`;
  ctx.print(`Deleted ${body.deleted} ${o.status} job(s)${age}.`);
}
