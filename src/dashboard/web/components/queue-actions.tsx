import { useState } from 'preact/hooks';
import { useDashboard } from '../context';
import { formatCount } from '../format';
import { FINISHED_STATES, FinishedState, Stats } from '../types';

const AGE_UNITS = { minutes: 60, hours: 3600, days: 86400 } as const;
type AgeUnit = keyof typeof AGE_UNITS;

/** Queue-wide actions: retry every failed job, purge finished jobs. */
export function QueueActions({ stats }: { stats: Stats | null }) {
  const { api, confirm } = useDashboard();
  const [status, setStatus] = useState<FinishedState>('completed');
  const [age, setAge] = useState('');
  const [unit, setUnit] = useState<AgeUnit>('hours');
  const failed = stats?.failed ?? 0;
  const olderThanS = age.trim() === '' ? 0 : Math.floor(Number(age) * AGE_UNITS[unit]);
  const ageValid = age.trim() === '' || (Number.isFinite(olderThanS) && olderThanS >= 0);

  return (
    <section class="panel actions" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div class="action-row">
        <button
          type="button"
          data-testid="retry-all-failed"
          disabled={failed === 0}
          onClick={() =>
            confirm({
              title: 'Retry all failed jobs',
              message: `Run the ${formatCount(failed)} failed job${failed === 1 ? '' : 's'} again, each with a full retry budget?`,
              confirmLabel: 'Retry all',
              action: async () => {
                const { retried } = await api.retryFailed();
                return `Retried ${formatCount(retried)} failed job${retried === 1 ? '' : 's'}.`;
              },
            })
          }
        >
          Retry all failed ({formatCount(failed)})
        </button>
      </div>
      <form
        class="action-row purge"
        onSubmit={(e) => {
          e.preventDefault();
          if (!ageValid) return;
          const when = olderThanS > 0 ? ` that finished more than ${age} ${unit} ago` : '';
          confirm({
            title: `Purge ${status} jobs`,
            message: `Delete every ${status} job${when}? This cannot be undone.`,
            confirmLabel: 'Delete',
            action: async () => {
              const { deleted } = await api.purge(status, olderThanS);
              return `Deleted ${formatCount(deleted)} ${status} job${deleted === 1 ? '' : 's'}.`;
            },
          });
        }}
      >
        <label>
          Purge{' '}
          <select
            value={status}
            data-testid="purge-status"
            onChange={(e) => setStatus(e.currentTarget.value as FinishedState)}
          >
            {FINISHED_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          older than{' '}
          <input
            type="number"
            min="0"
            step="any"
            class="age"
            placeholder="any age"
            value={age}
            onInput={(e) => setAge(e.currentTarget.value)}
          />
        </label>
        <select value={unit} onChange={(e) => setUnit(e.currentTarget.value as AgeUnit)}>
          {Object.keys(AGE_UNITS).map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
        <button type="submit" class="danger" data-testid="purge" disabled={!ageValid}>
          Purge…
        </button>
      </form>
    </section>
  );
}
