import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError, ListFilters } from '../api';
import { useDashboard } from '../context';
import { formatRelative, formatTime, recipientOf } from '../format';
import { parseSearch } from '../search';
import { Job, JOB_STATUSES, JobStatus, Priority, PRIORITIES } from '../types';
import { jobActions } from './job-actions';

const PAGE_SIZE = 25;

interface Filters {
  status: JobStatus | '';
  priority: Priority | '';
  jobType: string;
}

type Rows =
  | { state: 'loading' }
  | { state: 'ok'; jobs: Job[]; nextCursor: string | null }
  | { state: 'error'; message: string };

/**
 * Jobs, newest first, with filters and search (a job id or a recipient), paged with
 * the API's cursor: a stack of the cursors that led here gives "Previous".
 */
export function JobTable() {
  const dashboard = useDashboard();
  const { api, tick, openJob, confirm } = dashboard;
  const [filters, setFilters] = useState<Filters>({ status: '', priority: '', jobType: '' });
  const [searchText, setSearchText] = useState('');
  const [search, setSearch] = useState('');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [rows, setRows] = useState<Rows>({ state: 'loading' });
  const [typesSeen, setTypesSeen] = useState<string[]>([]);
  const request = useRef(0);

  const query = parseSearch(search);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const mine = ++request.current;
    const done = (next: Rows) => {
      if (mine === request.current) setRows(next);
    };
    if (query.kind === 'invalid') {
      done({ state: 'error', message: query.reason });
      return;
    }
    if (query.kind === 'job_id') {
      api.job(query.id).then(
        (job) => done({ state: 'ok', jobs: [job], nextCursor: null }),
        (error: unknown) =>
          done(
            error instanceof ApiError && error.status === 404
              ? { state: 'ok', jobs: [], nextCursor: null }
              : { state: 'error', message: describeError(error) },
          ),
      );
      return;
    }
    const list: ListFilters = {
      status: filters.status || undefined,
      priority: filters.priority || undefined,
      job_type: filters.jobType.trim() || undefined,
      to: query.kind === 'recipient' ? query.to : undefined,
      limit: PAGE_SIZE,
      cursor: cursor ?? undefined,
    };
    api.jobs(list).then(
      (page) => {
        done({ state: 'ok', jobs: page.jobs, nextCursor: page.next_cursor });
        setTypesSeen((seen) => {
          const fresh = page.jobs.map((j) => j.job_type).filter((t) => !seen.includes(t));
          return fresh.length ? [...seen, ...new Set(fresh)].sort() : seen;
        });
      },
      (error: unknown) => done({ state: 'error', message: describeError(error) }),
    );
    // `query` is derived from `search`.
  }, [api, tick, search, filters, cursor]);

  const setFilter = (patch: Partial<Filters>) => {
    setFilters((f) => ({ ...f, ...patch }));
    setCursors([null]);
  };

  const page = cursors.length;
  return (
    <section class="panel jobs" aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(searchText);
          setCursors([null]);
        }}
      >
        <input
          type="search"
          name="q"
          data-testid="search"
          placeholder="Job id or recipient address"
          aria-label="Search by job id or recipient"
          value={searchText}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setSearchText(value);
            // Clearing the box (its × button too) shows every job again.
            if (value === '') {
              setSearch('');
              setCursors([null]);
            }
          }}
        />
        <button type="submit">Search</button>
        <label>
          Status{' '}
          <select
            data-testid="filter-status"
            value={filters.status}
            onChange={(e) => setFilter({ status: e.currentTarget.value as JobStatus | '' })}
          >
            <option value="">any</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority{' '}
          <select
            data-testid="filter-priority"
            value={filters.priority}
            onChange={(e) => setFilter({ priority: e.currentTarget.value as Priority | '' })}
          >
            <option value="">any</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type{' '}
          <input
            type="text"
            class="type"
            list="job-types"
            data-testid="filter-type"
            placeholder="any"
            value={filters.jobType}
            onChange={(e) => setFilter({ jobType: e.currentTarget.value })}
          />
          <datalist id="job-types">
            {typesSeen.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
      </form>
      {query.kind === 'job_id' && <p class="hint">Showing the job with this id.</p>}
      {query.kind === 'recipient' && <p class="hint">Jobs for {query.to}.</p>}
      {rows.state === 'error' && (
        <p class="error" role="alert">
          {rows.message}
        </p>
      )}
      <table class="job-table" data-testid="job-table" aria-busy={rows.state === 'loading'}>
        <thead>
          <tr>
            <th>Job id</th>
            <th>Type</th>
            <th>Priority</th>
            <th>Status</th>
            <th>Recipient</th>
            <th>Created</th>
            <th class="num">Retries</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.state === 'ok' && rows.jobs.length === 0 && (
            <tr>
              <td colSpan={8} class="empty">
                No job matches.
              </td>
            </tr>
          )}
          {rows.state === 'ok' &&
            rows.jobs.map((job) => (
              <tr key={job.job_id} data-job-id={job.job_id} data-status={job.status}>
                <td class="mono">
                  <a
                    href={`#/jobs/${job.job_id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      openJob(job.job_id);
                    }}
                  >
                    {job.job_id}
                  </a>
                </td>
                <td>{job.job_type}</td>
                <td>
                  <span class={`priority priority-${job.priority}`}>{job.priority}</span>
                </td>
                <td>
                  <span class={`status status-${job.status}`} data-testid="job-status">
                    {job.status}
                  </span>
                </td>
                <td>{recipientOf(job.payload) ?? '-'}</td>
                <td title={formatTime(job.created_ts)}>{formatRelative(job.created_ts)}</td>
                <td class="num">{job.retry_count}</td>
                <td>
                  <div class="row-actions">
                    {jobActions(job, dashboard).map((a) => (
                      <button
                        key={a.label}
                        type="button"
                        class={a.danger ? 'small danger' : 'small'}
                        data-action={a.label.toLowerCase()}
                        onClick={() => confirm(a.request)}
                      >
                        {a.label}
                      </button>
                    ))}
                  </div>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          data-testid="page-previous"
          disabled={page === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          ← Newer
        </button>
        <span>Page {page}</span>
        <button
          type="button"
          data-testid="page-next"
          disabled={rows.state !== 'ok' || rows.nextCursor === null}
          onClick={() => {
            if (rows.state === 'ok' && rows.nextCursor) {
              const next = rows.nextCursor;
              setCursors((c) => [...c, next]);
            }
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}
