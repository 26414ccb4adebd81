import { formatCount, formatDuration } from '../format';
import type { Stats } from '../types';

function Tile(props: { state: string; label: string; value: number | null; detail?: string }) {
  return (
    <div class={`count count-${props.state}`}>
      <span class="label">{props.label}</span>
      <span class="value" data-testid={`count-${props.state}`}>
        {props.value === null ? '…' : formatCount(props.value)}
      </span>
      {props.detail && <span class="detail">{props.detail}</span>}
    </div>
  );
}

/** Jobs per state, from GET /stats. */
export function Counts({ stats }: { stats: Stats | null }) {
  const oldest = stats?.oldest_ready_age_s;
  const age = (p: 'high' | 'low') =>
    oldest?.[p] === null || oldest === undefined ? '' : `${p} ${formatDuration(oldest[p])}`;
  const oldestDetail = [age('high'), age('low')].filter(Boolean).join(', ');
  return (
    <section class="counts" aria-label="Jobs per state">
      <Tile
        state="ready"
        label="Ready"
        value={stats ? stats.ready.high + stats.ready.low : null}
        detail={
          stats
            ? `high ${formatCount(stats.ready.high)} · low ${formatCount(stats.ready.low)}`
            : undefined
        }
      />
      <Tile
        state="oldest"
        label="Oldest ready"
        value={null}
        detail={stats ? oldestDetail || 'none waiting' : undefined}
      />
      <Tile state="scheduled" label="Scheduled" value={stats?.scheduled ?? null} />
      <Tile state="processing" label="Processing" value={stats?.processing ?? null} />
      <Tile state="completed" label="Completed" value={stats?.completed ?? null} />
      <Tile state="failed" label="Failed" value={stats?.failed ?? null} />
      <Tile state="cancelled" label="Cancelled" value={stats?.cancelled ?? null} />
    </section>
  );
}
