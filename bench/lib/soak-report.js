'use strict';
/**
 * The soak run's verdict and how it is shown: memory slopes (least squares, MB per
 * hour) of every process's RSS and heap and of Redis used_memory, latency by thirds of
 * the run, the loss check, the pass/fail checks, a line per sample and the Markdown
 * report.
 */
const { linearTrend } = require('./stats');
const { Histogram } = require('./soak-histogram');

/** Slopes are judged after the first 5 minutes; in a run shorter than 10 minutes, over its second half. */
function judgedFromS(durationS) {
  return durationS >= 600 ? 300 : durationS / 2;
}

/** "after 5 min" / "over the second half": where the judged slope is taken. */
function judgedWindow(durationS) {
  const fromS = judgedFromS(durationS);
  return fromS === durationS / 2 ? 'over the second half' : `after ${fromS / 60} min`;
}

/** Trend per hour ({ slope, standardError }) of points [t (s), value] from `fromS` on. */
function trendPerHour(points, fromS) {
  return linearTrend(points.filter(([t]) => t >= fromS).map(([t, v]) => [t / 3600, v]));
}

/** 0, 1 or 2: the third of the run time `t` falls in. */
function thirdAt(t, durationS) {
  return Math.min(2, Math.max(0, Math.floor((t / durationS) * 3)));
}

/** The third of the run a sample's window falls in (by the window's midpoint). */
function thirdOf(sample, durationS) {
  return thirdAt(sample.t - sample.windowS / 2, durationS);
}

const mean = (values) => {
  const finite = values.filter(Number.isFinite);
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
};

/**
 * Every memory series of a system. `points` [t (s), MB] are what its slope is fitted to:
 * each process's RSS (read every second); its heap after a full collection, one point
 * per collection (taken at the first sample that saw it: between collections the value
 * does not change, and repeating it would only feign precision); Redis used_memory (at
 * each sample). `levels` are what its means by third are taken from: the same, except
 * the heap's, which is its value at every sample.
 */
function memorySeries(run) {
  const atSamples = (pick) =>
    run.samples.map((s) => [s.t, pick(s)]).filter(([, mb]) => Number.isFinite(mb));
  const afterEachCollection = (name) => {
    let seen = 0;
    const points = [];
    for (const s of run.samples) {
      const p = s.processes[name];
      if (!p || !(p.fullGcs > seen) || !Number.isFinite(p.heapAfterGcMb)) continue;
      seen = p.fullGcs;
      points.push([s.t, p.heapAfterGcMb]);
    }
    return points;
  };
  const series = [];
  for (const name of run.processNames) {
    const rss = run.rssPoints[name];
    series.push({ name: `${name} RSS`, process: name, points: rss, levels: rss });
    series.push({
      name: `${name} heap`,
      process: name,
      points: afterEachCollection(name),
      levels: atSamples((s) => s.processes[name]?.heapAfterGcMb),
    });
  }
  const redis = atSamples((s) => s.redis.usedMemoryMb);
  series.push({ name: 'Redis used_memory', process: 'redis', points: redis, levels: redis });
  return series;
}

function latencyByThirds(samples, windows, durationS, key) {
  const parts = [new Histogram(), new Histogram(), new Histogram()];
  const all = new Histogram();
  samples.forEach((s, i) => {
    parts[thirdOf(s, durationS)].merge(windows[i][key]);
    all.merge(windows[i][key]);
  });
  const first = parts[0].percentile(99);
  const last = parts[2].percentile(99);
  return {
    p50: all.percentile(50),
    p99: all.percentile(99),
    count: all.count,
    firstThirdP99: first,
    middleThirdP99: parts[1].percentile(99),
    lastThirdP99: last,
    drift: last / first - 1,
  };
}

/**
 * run: { label, samples, windows (histograms per sample: submit, status, e2e), jobs
 * (the tracker's totals), lostIds, unverifiedIds, submitErrors, statusErrors, exits, processNames }.
 */
function analyse(run, o) {
  const durationS = o.minutes * 60;
  const fromS = judgedFromS(durationS);
  const halfS = durationS / 2;
  const memory = memorySeries(run).map(({ name, process, points, levels }) => {
    const judged = trendPerHour(points, fromS);
    return {
      series: name,
      process,
      pointsJudged: points.filter(([t]) => t >= fromS).length,
      slopeJudged: judged.slope,
      slopeJudgedError: judged.standardError,
      slopeSecondHalf: trendPerHour(points, halfS).slope,
      meanByThird: [0, 1, 2].map((third) =>
        mean(levels.filter(([t]) => thirdAt(t, durationS) === third).map(([, mb]) => mb)),
      ),
    };
  });
  const latency = {
    submit: latencyByThirds(run.samples, run.windows, durationS, 'submit'),
    e2e: latencyByThirds(run.samples, run.windows, durationS, 'e2e'),
    status: latencyByThirds(run.samples, run.windows, durationS, 'status'),
  };
  const errorCount = (errors) => Object.values(errors).reduce((a, b) => a + b, 0);
  const checks = [];
  const check = (name, value, limit, ok, extra = {}) =>
    checks.push({ name, value, limit, ok, ...extra });
  const within = (v, limit) => Number.isFinite(v) && v <= limit;
  const judged = `slope ${judgedWindow(durationS)}`;
  for (const m of memory) {
    // Fewer than 3 points (a heap with fewer than 3 full collections in the window): no
    // slope to judge. Otherwise the verdict is the slope's; the note only tells a reader
    // when the run was too short to tell noise from growth.
    const measurable = Number.isFinite(m.slopeJudged);
    const ok = !measurable || m.slopeJudged <= o.maxSlopeMbH;
    let note = '';
    if (!measurable) note = `not judged: ${m.pointsJudged} point(s) in the window, run longer`;
    else if (!ok && m.slopeJudged - 2 * m.slopeJudgedError <= o.maxSlopeMbH) {
      note = 'within 2 standard errors of the limit: noise or growth, run longer';
    }
    check(`${m.series} ${judged} (MB/h)`, m.slopeJudged, o.maxSlopeMbH, ok, {
      text: `${fmt(m.slopeJudged)} ± ${fmt(m.slopeJudgedError)}`,
      note,
    });
  }
  const drift = latency.submit.drift;
  check('submit p99, last third over first', drift, o.maxP99Drift, within(drift, o.maxP99Drift));
  check('jobs lost', run.jobs.lost, 0, run.jobs.lost === 0);
  check(
    'jobs whose loss could not be ruled out',
    run.jobs.unverified,
    0,
    run.jobs.unverified === 0,
  );
  check(
    'submits not answered 201',
    errorCount(run.submitErrors),
    0,
    errorCount(run.submitErrors) === 0,
  );
  check('processes that exited during the run', run.exits.length, 0, run.exits.length === 0);
  check(
    'load finished on time (every request answered or timed out)',
    !run.loadLate,
    true,
    !run.loadLate,
    {
      text: run.loadLate ? 'no' : 'yes',
      limitText: 'yes',
    },
  );
  return {
    durationS,
    judgedFromS: fromS,
    memory,
    keysSlopePerHour: trendPerHour(
      run.samples.map((s) => [s.t, s.redis.keys]),
      fromS,
    ).slope,
    latency,
    jobs: {
      // Every submit, the warm-up's included (its jobs are checked too).
      submitted: run.warmup.submitted + run.submitted,
      warmupSubmitted: run.warmup.submitted,
      warmupSubmitErrors: run.warmup.submitErrors,
      warmupStatusErrors: run.warmup.statusErrors,
      ...run.jobs,
      lostIds: run.lostIds,
      unverifiedIds: run.unverifiedIds,
      submitErrors: run.submitErrors,
      statusErrors: run.statusErrors,
    },
    exits: run.exits,
    checks,
    pass: checks.every((c) => c.ok),
  };
}

const fmt = (v, digits = 1) =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
const pct = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(0)} %` : 'n/a');

const perProcess = (key) => (s) =>
  Object.values(s.processes)
    .map((p) => fmt(p[key], 0))
    .join('|');

/** One line per system per sample, and the header above them. */
function sampleColumns(workers) {
  const listWidth = Math.max(18, (workers + 1) * 5);
  return [
    ['t (s)', 6, (s) => fmt(s.t, 0)],
    ['system', 13, (s, label) => label],
    ['RSS MB api|w..', listWidth, perProcess('rssMb')],
    ['GC heap MB api|w..', listWidth, perProcess('heapAfterGcMb')],
    ['Redis MB', 9, (s) => fmt(s.redis.usedMemoryMb, 1)],
    ['keys', 9, (s) => fmt(s.redis.keys, 0)],
    ['submit p50|p99', 15, (s) => `${fmt(s.submit.p50)}|${fmt(s.submit.p99)}`],
    ['e2e p50|p99', 13, (s) => `${fmt(s.e2e.p50, 0)}|${fmt(s.e2e.p99, 0)}`],
    ['done/s', 7, (s) => fmt(s.completedPerS, 0)],
    ['errors', 7, (s) => fmt(s.submit.errors + s.status.errors, 0)],
    ['idle %', 7, (s) => fmt(s.machine.idlePct, 0)],
  ];
}

function sampleHeader(workers) {
  return sampleColumns(workers)
    .map(([title, width], i) => (i === 1 ? title.padEnd(width) : title.padStart(width)))
    .join(' ');
}

function sampleLine(workers, label, sample) {
  return sampleColumns(workers)
    .map(([, width, value], i) => {
      const text = String(value(sample, label));
      return i === 1 ? text.padEnd(width) : text.padStart(width);
    })
    .join(' ');
}

function table(head, rows) {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The final summary: one column per system. */
function summaryTables(report) {
  const runs = Object.values(report.systems);
  const head = ['', ...runs.map((r) => r.label)];
  const each = (f) => runs.map((r) => f(r.summary, r));
  const processNames = runs[0].summary.memory.map((m) => m.series);
  const memoryRow = (series) => [
    series,
    ...each((s) => {
      const m = s.memory.find((x) => x.series === series);
      if (!m) return '';
      const thirds = m.meanByThird.map((v) => fmt(v, 0)).join(' / ');
      const half = s.judgedFromS === s.durationS / 2 ? '' : ` (${fmt(m.slopeSecondHalf)})`;
      return `${fmt(m.slopeJudged)} ± ${fmt(m.slopeJudgedError)}${half}; ${thirds}`;
    }),
  ];
  const lat = (kind, label) => [
    [
      `${label} p50 / p99, whole run (ms)`,
      ...each((s) => `${fmt(s.latency[kind].p50)} / ${fmt(s.latency[kind].p99)}`),
    ],
    [
      `${label} p99 by third (ms)`,
      ...each((s) => {
        const l = s.latency[kind];
        return `${fmt(l.firstThirdP99)} / ${fmt(l.middleThirdP99)} / ${fmt(l.lastThirdP99)} (${pct(l.drift)})`;
      }),
    ],
  ];
  const errors = (e) =>
    Object.entries(e)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '0';
  const first = runs[0].summary;
  return [
    `Memory: least-squares slope in MB per hour ${judgedWindow(first.durationS)} ± its standard error` +
      (first.judgedFromS === first.durationS / 2 ? '' : ' (in brackets: over the second half)') +
      '; then the mean by third of the run, MB. RSS is read every second, heap is V8 heap used after the latest full collection.',
    '',
    table(['series', ...head.slice(1)], processNames.map(memoryRow)),
    '',
    table(head, [
      ...lat('submit', 'submit'),
      ...lat('e2e', 'end to end'),
      ...lat('status', 'status read'),
      ['Redis keys, slope per hour', ...each((s) => fmt(s.keysSlopePerHour, 0))],
      [
        'submitted (in the warm-up) / accepted (201)',
        ...each(
          (s) =>
            `${fmt(s.jobs.submitted, 0)} (${fmt(s.jobs.warmupSubmitted, 0)}) / ${fmt(s.jobs.accepted, 0)}`,
        ),
      ],
      [
        'completed / failed (4 attempts)',
        ...each((s) => `${fmt(s.jobs.completed, 0)} / ${fmt(s.jobs.failed, 0)}`),
      ],
      ['unfinished after the drain (not lost)', ...each((s) => fmt(s.jobs.unfinished, 0))],
      ['lost / unverified', ...each((s) => `${s.jobs.lost} / ${s.jobs.unverified}`)],
      ['submit errors', ...each((s) => errors(s.jobs.submitErrors))],
      ['status read errors', ...each((s) => errors(s.jobs.statusErrors))],
      [
        'submit / status read errors in the warm-up (not judged)',
        ...each(
          (s) => `${errors(s.jobs.warmupSubmitErrors)} / ${errors(s.jobs.warmupStatusErrors)}`,
        ),
      ],
      [
        'processes exited during the run',
        ...each(
          (s) => s.exits.map((e) => `${e.name} (${e.code ?? e.signal})`).join(', ') || 'none',
        ),
      ],
    ]),
  ].join('\n');
}

function checksTable(run) {
  const number = (v) => fmt(v, Number.isInteger(v) ? 0 : 1);
  return table(
    ['check', 'value', 'limit', 'result'],
    run.summary.checks.map((c) => {
      const show = c.name.includes('p99') ? pct : number;
      const result = c.ok ? 'pass' : 'FAIL';
      return [
        c.name,
        c.text ?? show(c.value),
        c.limitText ?? show(c.limit),
        c.note ? `${result} (${c.note})` : result,
      ];
    }),
  );
}

/** This service beside BullMQ: the goal is equal or lower slopes and drift. */
function comparison(report) {
  const ours = report.systems.jobq?.summary;
  const theirs = report.systems.bullmq?.summary;
  if (!ours || !theirs) return undefined;
  const slope = (s, process, kind) =>
    Math.max(
      ...s.memory
        .filter((m) =>
          process === 'worker' ? m.process.startsWith('worker') : m.process === process,
        )
        .filter((m) => m.series.endsWith(kind))
        .map((m) => m.slopeJudged),
    );
  const rows = [
    ['API RSS slope (MB/h)', slope(ours, 'api', 'RSS'), slope(theirs, 'api', 'RSS')],
    ['API heap slope (MB/h)', slope(ours, 'api', 'heap'), slope(theirs, 'api', 'heap')],
    [
      'largest worker RSS slope (MB/h)',
      slope(ours, 'worker', 'RSS'),
      slope(theirs, 'worker', 'RSS'),
    ],
    [
      'largest worker heap slope (MB/h)',
      slope(ours, 'worker', 'heap'),
      slope(theirs, 'worker', 'heap'),
    ],
    [
      'Redis used_memory slope (MB/h)',
      slope(ours, 'redis', 'used_memory'),
      slope(theirs, 'redis', 'used_memory'),
    ],
    ['submit p99 drift', ours.latency.submit.drift, theirs.latency.submit.drift],
    ['end-to-end p99 drift', ours.latency.e2e.drift, theirs.latency.e2e.drift],
  ].map(([name, a, b]) => ({ name, ours: a, theirs: b, met: a <= b }));
  return rows;
}

function comparisonTable(rows) {
  return table(
    ['', 'this service', 'BullMQ', 'this service <= BullMQ'],
    rows.map((r) => {
      const f = r.name.includes('drift') ? pct : (v) => fmt(v);
      return [r.name, f(r.ours), f(r.theirs), r.met ? 'yes' : 'no'];
    }),
  );
}

function markdown(report) {
  const o = report.options;
  const m = report.machine;
  const lines = [
    `# Soak run: ${Object.values(report.systems)
      .map((r) => r.label)
      .join(' beside ')}`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Machine: ${m.cores} cores, ${m.cpu}; Node ${m.node}; Redis ${m.redis}; BullMQ ${m.bullmq}; ioredis ${m.ioredis}. ` +
      `Load average ${m.loadavgStart.map((v) => v.toFixed(2)).join(' ')} at the start, ` +
      `${m.loadavgEnd.map((v) => v.toFixed(2)).join(' ')} at the end; machine idle ${fmt(m.idlePctMean, 0)} % on average during the load.`,
    '',
    `Load: ${o.rate} submits/s per system for ${o.minutes} min after a ${o.warmupS} s warm-up (open loop, ${o.highShare * 100} % high), a status read every ${o.statusEvery}th submit; ` +
      `${o.workers} workers x ${o.concurrency}; sends ${o.sendMs} ms, ${o.failureRate * 100} % failing, 4 attempts, backoff ${o.backoffBaseMs} ms doubling; ` +
      `completed jobs kept ${o.retentionS} s; a sample every ${o.sampleS} s.`,
    '',
    `## Result: ${report.pass ? 'PASS' : 'FAIL'}`,
    '',
  ];
  for (const run of Object.values(report.systems)) {
    const judgedOnly = report.judged === run.kind ? '' : ' (shown, not judged)';
    lines.push(`### Checks, ${run.label}${judgedOnly}`, '', checksTable(run), '');
  }
  lines.push('## Summary', '', summaryTables(report), '');
  if (report.comparison) lines.push('## Beside BullMQ', '', comparisonTable(report.comparison), '');
  for (const run of Object.values(report.systems)) {
    lines.push(`## Samples, ${run.label}`, '', '```', sampleHeader(report.options.workers));
    for (const s of run.samples) lines.push(sampleLine(report.options.workers, run.label, s));
    lines.push('```', '');
  }
  return lines.join('\n');
}

module.exports = {
  analyse,
  comparison,
  comparisonTable,
  checksTable,
  summaryTables,
  sampleHeader,
  sampleLine,
  markdown,
};
