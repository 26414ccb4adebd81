#!/usr/bin/env node
// jobq: the queue's command-line client (`npx jobq --help`; `node dist/cli.js` in the image).
import { processIo } from './cli/io';
import { runCli } from './cli/program';

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    // exitCode, not exit(): the output is flushed first.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `jobq: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
