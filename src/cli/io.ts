/** Where the CLI writes: the process's own streams, or a test's buffers. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal: `stats --watch` redraws in place only then. */
  readonly isTty: boolean;
  /**
   * Runs `onInterrupt` on Ctrl-C (SIGINT) instead of the default exit, until the returned
   * function is called. For the watch modes whose normal end is Ctrl-C.
   */
  trapInterrupt(onInterrupt: () => void): () => void;
}

export function processIo(): CliIo {
  // `jobq list | head -1` closes the pipe early: that ends the output, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  return {
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    isTty: Boolean(process.stdout.isTTY),
    trapInterrupt(onInterrupt) {
      process.on('SIGINT', onInterrupt);
      return () => process.off('SIGINT', onInterrupt);
    },
  };
}
