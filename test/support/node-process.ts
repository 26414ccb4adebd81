import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * The built service (`node dist/main.js`, `node dist/worker.js`, `node dist/cli.js`) as a real child
 * process, with its output captured. `npm test` builds dist/ before running jest.
 */

export const ROOT = join(__dirname, '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  /** As `exited`, once stdout and stderr are closed too: all the output is in. */
  closed: Promise<Exit>;
  /** Resolves once the output contains `text`; rejects if the process exits first. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<void>;
}

export function spawnNode(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): NodeProcess {
  const child = spawn(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    // A clean environment: nothing from this test process leaks in.
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    err += chunk;
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const waitForOutput = (wanted: string, timeoutMs = 30_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!text.includes(wanted)) return;
        cleanup();
        resolve();
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`${script} exited before printing "${wanted}". Output:\n${text}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${script} did not print "${wanted}" in ${timeoutMs} ms:\n${text}`));
      }, timeoutMs);
      function cleanup(): void {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        child.off('exit', onExit);
      }
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('exit', onExit);
      check();
    });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return {
    child,
    output: () => text,
    stdout: () => out,
    stderr: () => err,
    exited,
    closed,
    waitForOutput,
    kill,
  };
}
