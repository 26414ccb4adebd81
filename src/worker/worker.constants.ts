/** Whether the worker starts with the application (true for the headless worker; WORKER_ENABLED for the API). */
export const WORKER_AUTOSTART = Symbol('WORKER_AUTOSTART');

/** Longest time an idle worker blocks in Redis before it looks again on its own. */
export const IDLE_BLOCK_MS = 5000;
