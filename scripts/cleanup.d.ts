// Types of scripts/cleanup.js for the TypeScript code that calls it (the jobq CLI).

export interface CleanupOptions {
  /** Delete without asking (otherwise it asks on a terminal and refuses without one). */
  yes?: boolean;
  /** Default: REDIS_URL (environment, then .env), else redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Default: QUEUE_PREFIX (environment, then .env), else "jobs". */
  prefix?: string;
}

/** Deletes every key under the prefix; resolves to the exit code (0, 1 or 2). */
export function runCleanup(options?: CleanupOptions): Promise<number>;
