import { formatDuration, formatRelative } from '../format';
import type { WorkerInfo } from '../types';

/** The live worker processes (GET /stats `workers`). */
export function Workers({ workers }: { workers: WorkerInfo[] | null }) {
  return (
    <section class="panel workers" aria-labelledby="workers-title">
      <h2 id="workers-title">
        Workers <span class="badge">{workers?.length ?? '…'}</span>
      </h2>
      {workers && workers.length === 0 && <p class="empty">No live worker.</p>}
      {workers && workers.length > 0 && (
        <table data-testid="workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Host / pid</th>
              <th class="num">Busy</th>
              <th>Up</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id}>
                <td class="mono">{w.id}</td>
                <td>
                  {w.host} / {w.pid}
                </td>
                <td class="num">
                  {w.active} / {w.concurrency}
                </td>
                <td>{formatDuration(Date.now() / 1000 - w.started_ts)}</td>
                <td>{formatRelative(w.last_seen_ts)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
