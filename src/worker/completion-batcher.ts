import { HeldLease } from '../queue/job.types';

interface Pending {
  lease: HeldLease;
  resolve: (owned: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Settles the successful attempts that finish in the same turn of the event loop
 * with one completeJobs call instead of one call each: at high throughput this is
 * most of the worker's Redis traffic.
 */
export class CompletionBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly completeBatch: (leases: HeldLease[]) => Promise<boolean[]>,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves to whether the lease was still owned when the job was completed. */
  complete(lease: HeldLease): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ lease, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /**
   * Sends the pending completions now rather than at the end of this turn. The
   * worker calls it before a claim on the same connection, so Redis runs them first:
   * a job whose handler has returned leaves the in-flight set (and its status
   * `processing`) before the job that takes its slot enters it, and no observer
   * sees more than WORKER_CONCURRENCY jobs of a worker in flight.
   */
  sendPending(): void {
    if (this.pending.length > 0) void this.flush();
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += this.maxBatch) {
      const chunk = batch.slice(i, i + this.maxBatch);
      try {
        const owned = await this.completeBatch(chunk.map((p) => p.lease));
        chunk.forEach((p, j) => p.resolve(owned[j] === true));
      } catch (error) {
        chunk.forEach((p) => p.reject(error));
      }
    }
  }
}
