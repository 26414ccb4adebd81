import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, ApiError, keyStore } from './api';
import { ConfirmDialog, KeyPrompt } from './components/dialogs';
import { Counts } from './components/counts';
import { LatencyCharts, ThroughputChart } from './components/charts';
import { JobTable } from './components/job-table';
import { JobView } from './components/job-view';
import { QueueActions } from './components/queue-actions';
import { Workers } from './components/workers';
import { ConfirmRequest, Dashboard, DashboardContext } from './context';
import { LatencyTracker } from './latency';
import { LiveFeed, LiveMode } from './live';
import type { Stats } from './types';

/** Without live events the page polls this often. */
export const POLL_MS = 2_000;
/** With live events, a refetch at most this often (and at least every SAFETY_REFRESH_MS). */
const EVENT_THROTTLE_MS = 1_000;
const SAFETY_REFRESH_MS = 15_000;

const MODE_LABEL: Record<LiveMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: `Polling every ${POLL_MS / 1000} s`,
  unauthorized: 'Waiting for an API key',
};

function jobIdFromHash(): string | null {
  const match = /^#\/jobs\/([0-9a-fA-F-]{36})$/.exec(window.location.hash);
  return match ? match[1].toLowerCase() : null;
}

export function App() {
  const [keyPrompt, setKeyPrompt] = useState<{ reason: string; required: boolean } | null>(null);
  const [session, setSession] = useState(0);
  const [tick, setTick] = useState(0);
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [stats, setStats] = useState<Stats | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [jobId, setJobId] = useState<string | null>(jobIdFromHash);
  const [confirmRequest, setConfirmRequest] = useState<ConfirmRequest | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const tracker = useRef(new LatencyTracker());
  const [latencyVersion, setLatencyVersion] = useState(0);

  const api = useMemo(
    () =>
      new Api(() =>
        setKeyPrompt({
          reason: keyStore.get()
            ? 'The API key was refused. Enter another one.'
            : 'This server needs an API key.',
          required: true,
        }),
      ),
    [],
  );
  const live = useMemo(() => new LiveFeed(), []);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  // One event stream for the page; reopened when a key is entered.
  useEffect(() => {
    const offMode = live.onMode(setMode);
    live.start();
    return () => {
      offMode();
      live.stop();
    };
  }, [live, session]);

  // Events: feed the latency charts; refetch at most once a second.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = live.onEvent((event) => {
      tracker.current.add(event);
      timer ??= setTimeout(() => {
        timer = undefined;
        setLatencyVersion((v) => v + 1);
        refresh();
      }, EVENT_THROTTLE_MS);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [live, refresh]);

  // Polling: often without live events, rarely with them (workers, minute roll-over).
  useEffect(() => {
    const every = mode === 'live' ? SAFETY_REFRESH_MS : POLL_MS;
    const timer = setInterval(() => {
      if (!document.hidden) refresh();
    }, every);
    return () => clearInterval(timer);
  }, [mode, refresh]);

  // Stats, on every tick; one request at a time.
  const inFlight = useRef(false);
  useEffect(() => {
    if (inFlight.current || keyPrompt) return;
    inFlight.current = true;
    api
      .stats()
      .then((s) => {
        setStats(s);
        setStatsError(null);
        setUpdatedAt(Date.now());
      })
      .catch((error: unknown) => {
        if (!(error instanceof ApiError && error.status === 401)) {
          setStatsError(error instanceof Error ? error.message : String(error));
        }
      })
      .finally(() => {
        inFlight.current = false;
      });
  }, [api, tick, session, keyPrompt]);

  useEffect(() => {
    const onHash = () => setJobId(jobIdFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const openJob = useCallback((id: string | null) => {
    if (id) window.location.hash = `#/jobs/${id}`;
    else history.replaceState(null, '', window.location.pathname + window.location.search);
    setJobId(id);
  }, []);

  const dashboard: Dashboard = {
    api,
    live,
    mode,
    tick,
    session,
    openJob,
    confirm: setConfirmRequest,
    askForKey: (reason = 'Enter an API key.') => setKeyPrompt({ reason, required: false }),
    refresh,
  };

  const saveKey = (key: string) => {
    keyStore.set(key);
    setKeyPrompt(null);
    setSession((s) => s + 1);
    refresh();
  };
  const forgetKey = () => {
    keyStore.clear();
    setSession((s) => s + 1);
    refresh();
  };

  return (
    <DashboardContext.Provider value={dashboard}>
      <header class="top">
        <h1>Job queue</h1>
        <span class={`mode mode-${mode}`} data-testid="live-mode" data-mode={mode}>
          {MODE_LABEL[mode]}
        </span>
        <span class="updated">
          {updatedAt ? `Updated ${new Date(updatedAt).toLocaleTimeString()}` : ''}
        </span>
        <span class="spacer" />
        {keyStore.get() ? (
          <>
            <button type="button" onClick={() => dashboard.askForKey('Enter another API key.')}>
              Change key
            </button>
            <button type="button" onClick={forgetKey}>
              Forget key
            </button>
          </>
        ) : (
          <button type="button" onClick={() => dashboard.askForKey()}>
            Enter API key
          </button>
        )}
      </header>
      <main>
        {statsError && (
          <p class="error" role="alert">
            {statsError}
          </p>
        )}
        {notice && (
          <p class="notice" role="status" data-testid="notice">
            {notice}{' '}
            <button type="button" class="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </p>
        )}
        <Counts stats={stats} />
        <section class="charts">
          <ThroughputChart stats={stats} />
          <LatencyCharts tracker={tracker.current} version={latencyVersion} mode={mode} />
        </section>
        <div class="columns">
          <QueueActions stats={stats} />
          <Workers workers={stats?.workers ?? null} />
        </div>
        <JobTable />
      </main>
      {jobId && <JobView id={jobId} />}
      {confirmRequest && (
        <ConfirmDialog
          request={confirmRequest}
          onDone={(message) => {
            setConfirmRequest(null);
            if (message !== null) {
              setNotice(message);
              confirmRequest.after?.();
              refresh();
            }
          }}
        />
      )}
      {keyPrompt && (
        <KeyPrompt
          reason={keyPrompt.reason}
          onSave={saveKey}
          onCancel={keyPrompt.required ? undefined : () => setKeyPrompt(null)}
        />
      )}
    </DashboardContext.Provider>
  );
}
