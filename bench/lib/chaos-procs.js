'use strict';
// Service processes of the chaos run (`node dist/main.js`, `node dist/worker.js`):
// started and awaited until they log that they are ready, their output kept line
// by line for the whole run (the run counts recoveries in it and shows it when an
// invariant fails), killed on purpose, and killed for good on any exit path.
const { spawn } = require('node:child_process');
const { createInterface } = require('node:readline');

/** Lines kept per process; a process that logs more keeps its first and latest lines. */
const MAX_LINES = 20000;

const live = new Set();

/** Kills every process still running, at once (the exit and Ctrl-C paths). */
function killAllSync() {
  for (const proc of live) proc.killSync();
  live.clear();
}

class ServiceProcess {
  /**
   * name: label in logs ("w-sim-3"); script: path to run with node; env: its whole
   * environment; cwd: its working directory; ready: the line that says it started;
   * onLine(proc, line): called for every line of stdout and stderr.
   */
  constructor({ name, group, kind, script, env, cwd, ready, onLine, clock }) {
    Object.assign(this, { name, group, kind, script, env, cwd, ready, onLine });
    /** Prefix for each kept line: when this script read it (the service logs whole seconds). */
    this.clock = clock ?? (() => new Date().toISOString());
    this.lines = [];
    this.dropped = 0;
    this.state = 'new'; // starting | ready | exited
    this.expectedExit = false;
    this.exit = undefined; // { code, signal }
    this.child = undefined;
  }

  get pid() {
    return this.child?.pid;
  }

  get running() {
    return this.state === 'starting' || this.state === 'ready';
  }

  /** Spawns the process; resolves once its ready line appeared, rejects if it exits first. */
  start(timeoutMs = 30000) {
    this.state = 'starting';
    this.startedAt = Date.now();
    const child = spawn(process.execPath, [this.script], {
      cwd: this.cwd,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.state = 'exited';
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      }),
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail(30)}`));
      }, timeoutMs);
      const onLine = (line) => {
        this.keep(`${this.clock()} ${line}`);
        if (this.state === 'starting' && this.ready.test(line)) {
          this.state = 'ready';
          this.readyAt = Date.now();
          clearTimeout(timer);
          resolve(this);
        }
        this.onLine?.(this, line);
      };
      createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr }).on('line', onLine);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${this.name} exited (${code ?? signal}) before it was ready:\n${this.tail(20)}`,
          ),
        );
      });
    });
  }

  keep(line) {
    if (this.lines.length >= MAX_LINES) {
      this.lines.splice(200, 1);
      this.dropped += 1;
    }
    this.lines.push(line);
  }

  tail(n) {
    return this.lines.slice(-n).join('\n');
  }

  /** SIGKILL on purpose (chaos); resolves once it is gone. */
  async kill() {
    if (!this.child || this.state === 'exited') return this.exit;
    this.expectedExit = true;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  /**
   * SIGTERM, the service's graceful stop; SIGKILL after `timeoutMs`. Resolves with
   * { code, signal, timedOut }: a clean stop is code 0.
   */
  async terminate(timeoutMs) {
    if (!this.child || this.state === 'exited') return { ...this.exit, timedOut: false };
    this.expectedExit = true;
    let timedOut = false;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      timedOut = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, timedOut };
  }

  killSync() {
    if (this.child && this.state !== 'exited') {
      this.expectedExit = true;
      this.child.kill('SIGKILL');
    }
  }
}

module.exports = { ServiceProcess, killAllSync };
