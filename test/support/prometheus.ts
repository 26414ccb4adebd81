import { spawnSync } from 'node:child_process';

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a /metrics answer (comments skipped). Label values here never hold `"` or `,`. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const [name, quoted] = pair.split('=');
      labels[name] = JSON.parse(quoted) as string;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The value of the sample named `name` whose labels are exactly `labels`, or
 * undefined when there is none.
 */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).sort();
  return samples.find(
    (s) =>
      s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(wanted),
  )?.value;
}

/** Sum of every sample named `name` whose labels include `labels`. */
export function sumOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/**
 * `promtool check metrics` on `text`: its exit status and output, or null when
 * promtool is not installed (Debian's `prometheus` package has it).
 */
export function promtoolCheck(text: string): { status: number; output: string } | null {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  return { status: run.status ?? -1, output: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() };
}
