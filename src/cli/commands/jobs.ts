import { Command, Option } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { PRIORITIES } from '../../queue/job-keys';
import { JOB_STATUSES, JobRecord } from '../../queue/job.types';
import { JobList, Query } from '../api-client';
import { CommandContext, Run } from '../context';
import { EXIT } from '../errors';
import { duration, jobChange, jobDetail, jobTable, recipient } from '../format';
import { JSON_OPTION_HELP, wholeNumber } from '../options';

const FINISHED: readonly string[] = ['completed', 'failed', 'cancelled'];

/** Page size of `list --all` when --limit is not given: the API's largest. */
const ALL_PAGE_SIZE = 500;

interface SubmitOptions {
  to: string;
  subject?: string;
  body?: string;
  priority: string;
  runAt?: string;
  delayMs?: number;
  idempotencyKey?: string;
}

interface StatusOptions {
  watch?: boolean;
  intervalMs: number;
}

interface ListOptions {
  status?: string;
  priority?: string;
  type?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export function registerJobCommands(program: Command, run: Run): void {
  program
    .command('submit')
    .description('Submit a send_email job')
    .requiredOption('--to <address>', 'recipient (payload.to)')
    .option('--subject <text>', 'subject line (payload.subject)')
    .option('--body <text>', 'message text (payload.body)')
    .addOption(
      new Option('--priority <priority>', 'high jobs start before low ones')
        .choices(PRIORITIES)
        .default('low'),
    )
    .addOption(
      new Option(
        '--run-at <time>',
        'run no earlier than this RFC 3339 time with an offset (2026-12-01T09:00:00Z)',
      ).conflicts('delayMs'),
    )
    .addOption(
      new Option('--delay-ms <ms>', 'run no earlier than this many ms from now').argParser(
        wholeNumber(0),
      ),
    )
    .option('--idempotency-key <key>', 'the same key and job within 24 h create one job only')
    .option('--json', JSON_OPTION_HELP)
    .action(run<SubmitOptions>((ctx, o) => submit(ctx, o)));

  program
    .command('status')
    .description("Show a job's status and fields")
    .argument('<job-id>', 'the job_id submit returned')
    .option(
      '--watch',
      'follow the job until it finishes, printing each change; exit 0 when it completes, ' +
        '1 when it ends failed or cancelled',
    )
    .addOption(
      new Option('--interval-ms <ms>', 'how often --watch asks')
        .default(500)
        .argParser(wholeNumber(50)),
    )
    .option('--json', `${JSON_OPTION_HELP} (with --watch: one line per change)`)
    .action(
      run<StatusOptions>(async (ctx, o, [id]) =>
        o.watch ? watchJob(ctx, id, o) : showJob(ctx, id, Boolean(o.json)),
      ),
    );

  program
    .command('list')
    .description('List jobs, newest first, matching every filter given')
    .addOption(new Option('--status <status>').choices(JOB_STATUSES))
    .addOption(new Option('--priority <priority>').choices(PRIORITIES))
    .option('--type <job-type>', 'job_type, e.g. send_email')
    .option('--to <address>', 'recipient, exact, case-insensitive')
    .addOption(
      new Option(
        '--limit <n>',
        `jobs per page (the API's default is 50, its maximum 500; with --all ${ALL_PAGE_SIZE})`,
      ).argParser(wholeNumber(1)),
    )
    .option('--cursor <cursor>', 'start at this next_cursor of an earlier page')
    .option('--all', 'follow next_cursor to the last page')
    .option('--json', `${JSON_OPTION_HELP} (the page; with --all, see below)`)
    .addHelpText(
      'after',
      "\nWith --all --json the output is ONE body, every page's jobs in order:\n" +
        '  {"jobs": [...], "next_cursor": null}',
    )
    .action(run<ListOptions>((ctx, o) => list(ctx, o)));
}

async function submit(ctx: CommandContext, o: SubmitOptions & { json?: boolean }) {
  const payload: Record<string, string> = { to: o.to };
  if (o.subject !== undefined) payload.subject = o.subject;
  if (o.body !== undefined) payload.body = o.body;
  const job: Record<string, unknown> = { job_type: 'send_email', priority: o.priority, payload };
  if (o.runAt !== undefined) job.run_at = o.runAt;
  if (o.delayMs !== undefined) job.delay_ms = o.delayMs;

  const { status, body, text } = await ctx.api.submit(job, o.idempotencyKey);
  if (o.json) return ctx.print(text);
  if (status === 200) {
    ctx.print(
      `Job ${body.job_id} was already submitted with this idempotency key (status: ${body.status}).`,
    );
    return;
  }
  let when = '';
  if (o.runAt !== undefined) when = `, runs at ${o.runAt}`;
  else if (o.delayMs !== undefined) when = `, runs in ${duration(o.delayMs / 1000)}`;
  ctx.print(`Submitted job ${body.job_id} (${body.status}, ${o.priority} priority${when}).`);
}

async function showJob(ctx: CommandContext, id: string, json: boolean) {
  const { body, text } = await ctx.api.job(id);
  ctx.print(json ? text : jobDetail(body, ctx.now()));
}

/**
 * Polls the job and prints each state that differs from the last one seen, until it
 * finishes. (Polling: the API has no per-job event stream to follow yet.)
 */
async function watchJob(
  ctx: CommandContext,
  id: string,
  o: StatusOptions & { json?: boolean },
): Promise<number> {
  let previous: JobRecord | undefined;
  let previousText: string | undefined;
  for (;;) {
    const { body: job, text } = await ctx.api.job(id);
    if (text !== previousText) {
      if (o.json) {
        ctx.print(text);
      } else {
        if (!previous) {
          ctx.print(`job ${job.job_id}: ${job.job_type}, ${job.priority}, to ${recipient(job)}`);
        }
        ctx.print(jobChange(job, previous, ctx.now()));
      }
      previous = job;
      previousText = text;
    }
    if (FINISHED.includes(job.status)) {
      if (job.status === 'completed') return EXIT.ok;
      ctx.io.stderr(`error: job ${job.job_id} ended ${job.status}\n`);
      return EXIT.failed;
    }
    await sleep(o.intervalMs);
  }
}

async function list(ctx: CommandContext, o: ListOptions & { json?: boolean }) {
  const query: Query = {
    status: o.status,
    priority: o.priority,
    job_type: o.type,
    to: o.to,
    limit: o.limit ?? (o.all ? ALL_PAGE_SIZE : undefined),
    cursor: o.cursor,
  };
  if (!o.all) {
    const { body, text } = await ctx.api.list(query);
    if (o.json) return ctx.print(text);
    printJobs(ctx, body.jobs);
    if (body.next_cursor !== null) {
      ctx.print(
        `More jobs match: add --cursor ${body.next_cursor} for the next page, or --all for every page.`,
      );
    }
    return;
  }
  const combined: JobList = { jobs: [], next_cursor: null };
  for (let cursor = o.cursor; ;) {
    const { body } = await ctx.api.list({ ...query, cursor });
    combined.jobs.push(...body.jobs);
    if (body.next_cursor === null) break;
    cursor = body.next_cursor;
  }
  if (o.json) return ctx.print(JSON.stringify(combined));
  printJobs(ctx, combined.jobs);
}

function printJobs(ctx: CommandContext, jobs: JobRecord[]): void {
  if (jobs.length === 0) return ctx.print('No jobs match.');
  ctx.print(jobTable(jobs, ctx.now()));
  ctx.print(`${jobs.length} job(s)`);
}
