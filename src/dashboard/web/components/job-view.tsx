import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, authHeaders, describeError } from '../api';
import { useDashboard } from '../context';
import { openEventStream } from '../event-stream';
import { formatDuration, formatTime } from '../format';
import { parseJobEvent } from '../live';
import { Job, JobEvent, TERMINAL_EVENTS } from '../types';
import { jobActions } from './job-actions';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const JOB_NOT_FOUND = 'JOB.NOT_FOUND';
const POLL_MS = 1_000;

interface TimelineEntry {
  key: string;
  event: string;
  ts: number;
  detail?: string;
}

type Source = 'connecting' | 'live' | 'polling' | 'ended';

function describeEvent(e: JobEvent): string | undefined {
  const parts: string[] = [];
  if (e.attempt !== undefined) parts.push(`attempt ${e.attempt}`);
  if (e.available_after !== undefined) parts.push(`due ${formatTime(e.available_after)}`);
  if (e.stall_count !== undefined) parts.push(`stall ${e.stall_count}`);
  if (e.error) parts.push(e.error);
  return parts.length ? parts.join(' · ') : undefined;
}

/**
 * Without an event stream, the timeline is what the job's own fields tell: when it was
 * created, when its latest attempt started, when it finished.
 */
function timelineFromFields(job: Job): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  if (job.created_ts !== null) out.push({ key: 'created', event: 'submitted', ts: job.created_ts });
  if (job.picked_ts !== null) {
    out.push({
      key: 'picked',
      event: 'processing',
      ts: job.picked_ts,
      detail: `latest attempt (${job.retry_count} retr${job.retry_count === 1 ? 'y' : 'ies'} before it)`,
    });
  }
  if (job.status === 'pending' && job.available_after !== null) {
    out.push({ key: 'due', event: 'due', ts: job.available_after, detail: 'next attempt due' });
  }
  if (job.completed_ts !== null && FINISHED.has(job.status)) {
    const detail = job.status === 'failed' ? job.last_error : undefined;
    out.push({ key: 'finished', event: job.status, ts: job.completed_ts, detail });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/**
 * The live events, after what the job's fields tell of the time before the first of
 * them (a job opened after it ran, or finished, has only that).
 */
function withHistory(fromFields: TimelineEntry[], fromEvents: TimelineEntry[]): TimelineEntry[] {
  if (fromEvents.length === 0) return fromFields;
  const first = fromEvents[0].ts;
  return [...fromFields.filter((entry) => entry.ts < first), ...fromEvents];
}

function FieldValue({ name, value }: { name: string; value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">null</span>;
  if (typeof value === 'number' && (name.endsWith('_ts') || name === 'available_after')) {
    return (
      <span>
        {value} <span class="muted">({formatTime(value)})</span>
      </span>
    );
  }
  if (typeof value === 'object') return <pre>{JSON.stringify(value, null, 2)}</pre>;
  return <span>{typeof value === 'string' ? value : JSON.stringify(value)}</span>;
}

/** One job: every field, its actions, and its event timeline as it happens. */
export function JobView({ id }: { id: string }) {
  const dashboard = useDashboard();
  const { api, openJob, confirm, session, tick } = dashboard;
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [events, setEvents] = useState<TimelineEntry[]>([]);
  const [source, setSource] = useState<Source>('connecting');
  const [reopen, setReopen] = useState(0);
  const close = useRef<HTMLButtonElement>(null);

  useEffect(() => close.current?.focus(), [id]);

  useEffect(() => {
    let active = true;
    let terminal = false;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    const seen = new Set<string>();
    setJob(null);
    setError(null);
    setEvents([]);
    setSource('connecting');

    const load = () =>
      api.job(id).then(
        (j) => {
          if (active) setJob(j);
          return j;
        },
        (e: unknown) => {
          if (active)
            setError(
              e instanceof ApiError && e.status === 404
                ? 'No such job (never submitted, or expired).'
                : describeError(e),
            );
          return null;
        },
      );

    const poll = async () => {
      const j = await load();
      if (!active) return;
      if (j && !FINISHED.has(j.status)) pollTimer = setTimeout(() => void poll(), POLL_MS);
    };

    const stream = openEventStream({
      url: `/jobs/${id}/events`,
      headers: authHeaders,
      // The server ends the stream after a terminal event; before that, an end is a drop.
      reconnectOnEnd: () => !terminal,
      onMessage: (message) => {
        if (!active) return;
        if (message.event === 'snapshot') {
          try {
            const snapshot = JSON.parse(message.data) as Job;
            // A finished job's stream ends after its snapshot: nothing more will come.
            if (FINISHED.has(snapshot.status)) terminal = true;
            setJob(snapshot);
          } catch {
            // keep the previous snapshot
          }
          return;
        }
        const event = parseJobEvent(message.data, message.id);
        if (!event) return;
        const key = event.id ?? `${event.event}:${event.ts}`;
        if (seen.has(key)) return;
        seen.add(key);
        setEvents((list) => [
          ...list,
          { key, event: event.event, ts: event.ts, detail: describeEvent(event) },
        ]);
        if (TERMINAL_EVENTS.has(event.event)) terminal = true;
        void load();
      },
      onState: (state) => {
        if (!active) return;
        if (state.state === 'open') setSource('live');
        if (state.state === 'closed') setSource('ended');
        if (state.state === 'refused') {
          if (state.status === 404 && state.code === JOB_NOT_FOUND) {
            setError('No such job (never submitted, or expired).');
            setSource('ended');
          } else {
            // No per-job stream on this server (or not for this key): poll the job instead.
            setSource('polling');
            void poll();
          }
        }
      },
    });
    return () => {
      active = false;
      stream.close();
      clearTimeout(pollTimer);
    };
  }, [api, id, session, reopen]);

  // A page-wide refresh (after an action elsewhere) rereads the job.
  useEffect(() => {
    if (tick === 0) return;
    api.job(id).then(setJob, () => undefined);
  }, [tick]);

  const timeline = !job
    ? events
    : source === 'polling'
      ? timelineFromFields(job)
      : withHistory(timelineFromFields(job), events);
  const actions = job ? jobActions(job, dashboard, () => setReopen((n) => n + 1)) : [];
  const runTime =
    job && job.picked_ts !== null && job.completed_ts !== null && job.completed_ts >= job.picked_ts
      ? job.completed_ts - job.picked_ts
      : null;

  return (
    <aside class="drawer" aria-labelledby="job-title" data-testid="job-view" data-job-id={id}>
      <header>
        <h2 id="job-title">Job</h2>
        <button ref={close} type="button" onClick={() => openJob(null)} aria-label="Close">
          ✕
        </button>
      </header>
      <p class="mono job-id">{id}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {job && (
        <>
          <p>
            <span class={`status status-${job.status}`} data-testid="job-view-status">
              {job.status}
            </span>{' '}
            {runTime !== null && (
              <span class="muted">last attempt ran {formatDuration(runTime)}</span>
            )}
          </p>
          <div class="row-actions">
            {actions.map((a) => (
              <button
                key={a.label}
                type="button"
                class={a.danger ? 'danger' : 'primary'}
                data-action={a.label.toLowerCase()}
                onClick={() => confirm(a.request)}
              >
                {a.label}
              </button>
            ))}
          </div>
          <dl class="fields" data-testid="job-fields">
            {Object.entries(job).map(([name, value]) => (
              <div key={name} class="field">
                <dt>{name}</dt>
                <dd>
                  <FieldValue name={name} value={value} />
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <h3>
        Timeline{' '}
        <span class="muted" data-testid="timeline-source" data-source={source}>
          {source === 'live' && '(live)'}
          {source === 'polling' && "(from the job's fields; no event stream on this server)"}
          {source === 'connecting' && '(connecting…)'}
        </span>
      </h3>
      <ol class="timeline" data-testid="timeline">
        {timeline.map((entry) => (
          <li key={entry.key} class={`event event-${entry.event}`}>
            <span class="event-name">{entry.event}</span>
            <time>{formatTime(entry.ts)}</time>
            {entry.detail && <span class="detail">{entry.detail}</span>}
          </li>
        ))}
        {timeline.length === 0 && <li class="muted">No event yet.</li>}
      </ol>
    </aside>
  );
}
