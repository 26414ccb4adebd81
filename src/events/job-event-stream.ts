import type { JobRecord } from '../queue/job.types';
import type { EventSink } from './event-hub';
import { JobEvent, StreamEntry, TERMINAL_EVENTS } from './job-event';
import type { SseResponse } from './sse-response';

/**
 * GET /jobs/{id}/events: a `snapshot` of the job, then its events; ends after a
 * terminal one. It listens before the snapshot is read, holding what arrives until
 * the snapshot is out, so nothing in between is missed.
 */
export class JobEventStream implements EventSink {
  private held: StreamEntry[] | undefined = [];

  constructor(
    private readonly sse: SseResponse,
    private readonly jobId: string,
  ) {}

  accepts(event: JobEvent): boolean {
    return event.job_id === this.jobId;
  }

  deliver(entry: StreamEntry): boolean {
    if (this.held) {
      this.held.push(entry);
      return true;
    }
    return this.forward(entry);
  }

  ping(): void {
    this.sse.ping();
  }

  close(): void {
    this.sse.close();
  }

  /** Sends the snapshot, then what arrived meanwhile; a finished job ends the stream at once. */
  start(job: JobRecord): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (!this.sse.send('snapshot', job) || TERMINAL_EVENTS.has(job.status)) return this.close();
    for (const entry of held) if (!this.forward(entry)) return;
  }

  private forward(entry: StreamEntry): boolean {
    if (!this.sse.deliver(entry)) return false;
    if (!TERMINAL_EVENTS.has(entry.event.event)) return true;
    this.close();
    return false;
  }
}
