import { Command, Option } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandContext, Run } from '../context';
import { isoTime, statsView } from '../format';
import { JSON_OPTION_HELP, wholeNumber } from '../options';

interface StatsOptions {
  watch?: boolean;
  intervalMs: number;
}

/** Clears a terminal and puts the cursor top left. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export function registerStatsCommand(program: Command, run: Run): void {
  program
    .command('stats')
    .summary('Queue statistics')
    .description('Queue statistics: counts per state, waiting times, the last hour, live workers')
    .option('--watch', 'refresh until Ctrl-C (which exits 0)')
    .addOption(
      new Option('--interval-ms <ms>', 'how often --watch refreshes')
        .default(2000)
        .argParser(wholeNumber(100)),
    )
    .option('--json', `${JSON_OPTION_HELP} (with --watch: one line per refresh)`)
    .action(run<StatsOptions>((ctx, o) => (o.watch ? watchStats(ctx, o) : showStats(ctx, o))));
}

async function showStats(ctx: CommandContext, o: { json?: boolean }) {
  const { body, text } = await ctx.api.stats();
  if (o.json) return ctx.print(text);
  const now = ctx.now();
  ctx.print(`Queue at ${ctx.api.baseUrl}, ${isoTime(now)}\n\n${statsView(body, now)}`);
}

/**
 * Shows a fresh snapshot every interval until Ctrl-C: redrawn in place on a terminal,
 * appended otherwise (a log file, a pipe), one JSON line each with --json.
 */
async function watchStats(ctx: CommandContext, o: StatsOptions & { json?: boolean }) {
  const stop = new AbortController();
  const release = ctx.io.trapInterrupt(() => stop.abort());
  try {
    while (!stop.signal.aborted) {
      const { body, text } = await ctx.api.stats();
      if (o.json) {
        ctx.print(text);
      } else {
        const now = ctx.now();
        const screen = `Queue at ${ctx.api.baseUrl}, ${isoTime(now)} (every ${o.intervalMs} ms, Ctrl-C to stop)\n\n${statsView(body, now)}`;
        ctx.print(ctx.io.isTty ? `${CLEAR_SCREEN}${screen}` : `${screen}\n`);
      }
      await sleep(o.intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    release();
  }
}
