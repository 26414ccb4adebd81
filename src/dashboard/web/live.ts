import { authHeaders } from './api';
import { EventStream, openEventStream, StreamState } from './event-stream';
import { isJobEvent, JobEvent } from './types';

/**
 * `live`: events arrive from GET /events. `connecting` / `reconnecting`: on the way.
 * `polling`: the server has no event stream (404) or refused it; the page polls instead.
 * `unauthorized`: the stream needs a key; it restarts once one is entered.
 */
export type LiveMode = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'unauthorized';

type Listener<T> = (value: T) => void;

/** Parses one SSE message of the job event streams; null when it is not a job event. */
export function parseJobEvent(data: string, id: string | undefined): JobEvent | null {
  try {
    const value: unknown = JSON.parse(data);
    if (!isJobEvent(value)) return null;
    return id === undefined ? value : { ...value, id };
  } catch {
    return null;
  }
}

/** The page's one connection to GET /events, shared by every panel. */
export class LiveFeed {
  private stream?: EventStream;
  private readonly events = new Set<Listener<JobEvent>>();
  private readonly modes = new Set<Listener<LiveMode>>();
  private current: LiveMode = 'connecting';
  /** Bumped by every start(): states of an older stream are ignored. */
  private generation = 0;

  get mode(): LiveMode {
    return this.current;
  }

  start(): void {
    this.stream?.close();
    const generation = ++this.generation;
    this.setMode('connecting');
    let opened = false;
    this.stream = openEventStream({
      url: '/events',
      headers: authHeaders,
      onMessage: (message) => {
        const event = parseJobEvent(message.data, message.id);
        if (event) for (const listener of this.events) listener(event);
      },
      onState: (state: StreamState) => {
        if (generation !== this.generation) return;
        switch (state.state) {
          case 'open':
            opened = true;
            this.setMode('live');
            break;
          case 'retrying':
            this.setMode(opened ? 'reconnecting' : 'connecting');
            break;
          case 'refused':
            this.setMode(state.status === 401 ? 'unauthorized' : 'polling');
            break;
          default:
            break;
        }
      },
    });
  }

  stop(): void {
    this.generation++;
    this.stream?.close();
    this.stream = undefined;
  }

  onEvent(listener: Listener<JobEvent>): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }

  onMode(listener: Listener<LiveMode>): () => void {
    this.modes.add(listener);
    return () => this.modes.delete(listener);
  }

  private setMode(mode: LiveMode): void {
    if (mode === this.current) return;
    this.current = mode;
    for (const listener of this.modes) listener(mode);
  }
}
