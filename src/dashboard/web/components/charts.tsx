import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { formatDuration } from '../format';
import type { LatencyTracker } from '../latency';
import type { LiveMode } from '../live';
import type { Stats } from '../types';

interface SeriesSpec {
  label: string;
  stroke: string;
  dash?: number[];
  /** Mark each value: a minute with samples between empty ones is otherwise invisible. */
  points?: boolean;
}

/** A uPlot chart that follows its container's width and takes new data in place. */
function Chart(props: {
  title: string;
  series: SeriesSpec[];
  data: uPlot.AlignedData;
  value: (v: number) => string;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const format = props.value;
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 180,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { stroke: '#5b6470', grid: { stroke: '#eceff3' }, ticks: { stroke: '#d5dae1' } },
        {
          stroke: '#5b6470',
          grid: { stroke: '#eceff3' },
          ticks: { stroke: '#d5dae1' },
          size: 60,
          values: (_u, splits) => splits.map(format),
        },
      ],
      series: [
        {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          dash: s.dash,
          width: 2,
          spanGaps: false,
          points: s.points ? { show: true, size: 5, fill: s.stroke } : { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '-' : format(v)),
        })),
      ],
    };
    const chart = new uPlot(options, props.data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(200, el.clientWidth), height: 180 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Built once; new data goes through setData below.
  }, []);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return (
    <figure class="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={box} />
    </figure>
  );
}

const minuteStarts = (count: number, nowMs = Date.now()): number[] => {
  const current = Math.floor(nowMs / 60_000);
  return Array.from({ length: count }, (_, i) => (current - count + 1 + i) * 60);
};

/** Completed and failed per minute over the last hour (GET /stats `throughput`). */
export function ThroughputChart({ stats }: { stats: Stats | null }) {
  const completed = stats?.throughput.completed_per_min ?? [];
  const failed = stats?.throughput.failed_per_min ?? [];
  const xs = minuteStarts(completed.length);
  return (
    <Chart
      title="Finished per minute, last hour"
      testId="chart-throughput"
      series={[
        { label: 'completed', stroke: '#2f855a' },
        { label: 'failed', stroke: '#c53030' },
      ]}
      data={[xs, completed, failed]}
      value={(v) => String(Math.round(v))}
    />
  );
}

/** Wait and run time p50 / p95 per minute, computed from the live events (latency.ts). */
export function LatencyCharts(props: { tracker: LatencyTracker; version: number; mode: LiveMode }) {
  const series = props.tracker.series(Date.now() / 1000);
  const xs = series.map((m) => m.minute);
  const pick = (f: (m: (typeof series)[number]) => number | null) => series.map(f);
  const live = props.mode === 'live';
  return (
    <>
      <Chart
        title={`Wait time (due to picked up)${live ? '' : ': needs live events'}`}
        testId="chart-wait"
        series={[
          { label: 'p50', stroke: '#2b6cb0', points: true },
          { label: 'p95', stroke: '#63b3ed', dash: [6, 4], points: true },
        ]}
        data={[xs, pick((m) => m.waitP50), pick((m) => m.waitP95)]}
        value={formatDuration}
      />
      <Chart
        title={`Run time (one attempt)${live ? '' : ': needs live events'}`}
        testId="chart-run"
        series={[
          { label: 'p50', stroke: '#805ad5', points: true },
          { label: 'p95', stroke: '#b794f4', dash: [6, 4], points: true },
        ]}
        data={[xs, pick((m) => m.runP50), pick((m) => m.runP95)]}
        value={formatDuration}
      />
    </>
  );
}
