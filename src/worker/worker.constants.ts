/** Whether the worker starts with the application (true for the headless worker; WORKER_ENABLED for the API). */
export const WORKER_AUTOSTART = Symbol('WORKER_AUTOSTART');

/** The job type whose attempts are rate-limited across workers (a ClaimThrottle), if any. */
export const CLAIM_THROTTLE = Symbol('CLAIM_THROTTLE');

/** Longest time an idle worker blocks in Redis before it looks again on its own. */
export const IDLE_BLOCK_MS = 5000;

/** How often one of the workers removes expired jobs' index entries. */
export const UPKEEP_EVERY_MS = 10_000;

/** Index entries checked per state in one round of upkeep (a few ms of Redis time). */
export const UPKEEP_BUDGET = 5_000;

/**
 * Attempts shorter than this on average (ms) let a worker claim its next batch
 * while the current one runs (see WorkerService.aheadAllowance).
 */
export const CLAIM_AHEAD_MAX_RUN_MS = 2;

/** A job claimed ahead that has not found a free slot within this many ms goes back to the queue. */
export const CLAIM_AHEAD_MAX_WAIT_MS = 100;
