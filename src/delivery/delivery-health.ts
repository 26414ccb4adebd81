import { Logger } from '@nestjs/common';

/**
 * A delivery failure that is not the job's fault: the service's own settings are
 * wrong or its peer refuses them (SMTP authentication, TLS). Such failures are
 * retried like transient ones, but every job fails the same way until someone
 * fixes the configuration, so they are kept here for a readiness check to report.
 */
export interface DeliveryProblem {
  /** The transport that failed: `smtp`. */
  transport: string;
  /** Where it was sending: `host:port`, never credentials. */
  target: string;
  /** What went wrong, worded as the job's `last_error`. */
  message: string;
  /** Epoch ms of the first failure since the last success. */
  since: number;
  /** Epoch ms of the latest failure. */
  lastSeen: number;
  /** Failures since the last success. */
  failures: number;
}

/** While a problem lasts it is logged again at most this often. */
export const PROBLEM_LOG_INTERVAL_MS = 60_000;

/**
 * The last configuration error of each transport in this process, cleared by the
 * transport's next successful delivery. Logged as an error when it appears, when
 * its message changes, and once a minute while it lasts; its end is logged too.
 */
export class DeliveryHealth {
  private readonly logger = new Logger('Delivery');
  private readonly current = new Map<string, DeliveryProblem & { loggedAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a configuration error of `transport` sending to `target`. */
  configurationError(transport: string, target: string, message: string): void {
    const at = this.now();
    const previous = this.current.get(transport);
    const changed = !previous || previous.message !== message || previous.target !== target;
    const problem = {
      transport,
      target,
      message,
      since: previous?.since ?? at,
      lastSeen: at,
      failures: (previous?.failures ?? 0) + 1,
      loggedAt: previous?.loggedAt ?? 0,
    };
    if (changed || at - problem.loggedAt >= PROBLEM_LOG_INTERVAL_MS) {
      problem.loggedAt = at;
      const repeat = problem.failures > 1 ? ` (${problem.failures} failures so far)` : '';
      this.logger.error(
        `${transport} delivery to ${target} fails on configuration, jobs are retried until it is fixed${repeat}: ${message}`,
      );
    }
    this.current.set(transport, problem);
  }

  /** A delivery through `transport` succeeded: its configuration works. */
  delivered(transport: string): void {
    const problem = this.current.get(transport);
    if (!problem) return;
    this.current.delete(transport);
    this.logger.log(
      `${transport} delivery to ${problem.target} works again after ${problem.failures} failure(s)`,
    );
  }

  /** The configuration errors in force, one per failing transport. */
  problems(): DeliveryProblem[] {
    return [...this.current.values()].map(({ loggedAt: _loggedAt, ...problem }) => problem);
  }

  get healthy(): boolean {
    return this.current.size === 0;
  }
}
