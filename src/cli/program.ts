import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobqApi } from './api-client';
import { registerCleanupCommand } from './commands/cleanup';
import { registerJobCommands } from './commands/jobs';
import { registerStatsCommand } from './commands/stats';
import { registerSteeringCommands } from './commands/steering';
import { ActionBody, CommandContext, CommonOptions, Run } from './context';
import { EXIT, RequestFailedError } from './errors';
import { CliIo } from './io';
import { globalOptions } from './options';

/** package.json's version; the file sits one level above both src/ and dist/. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const EPILOG = `
Exit codes: 0 success; 1 the request failed (the API's error on stderr; with --json its
JSON error body on stdout), or a watched job ended failed or cancelled; 2 a usage error.

Environment: JOBQ_URL (--url), JOBQ_API_KEY (--api-key).`;

/**
 * Runs one command line (without "node jobq") and resolves to the exit code. Commander
 * parses; its own errors (unknown command or option, missing or bad value) are usage
 * errors, exit 2.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const version = packageVersion();
  let exitCode: number = EXIT.ok;

  const run: Run =
    <O>(body: ActionBody<O>) =>
    async (...actionArgs: unknown[]) => {
      const command = actionArgs[actionArgs.length - 1] as Command;
      // Commander passes the declared arguments, then the options object, then the command.
      const args = actionArgs.slice(0, -2) as string[];
      const options = command.optsWithGlobals<O & CommonOptions>();
      const ctx: CommandContext = {
        api: new JobqApi(options, `jobq/${version}`),
        io,
        print: (line) => {
          io.stdout(`${line}\n`);
        },
        now: () => Date.now() / 1000,
      };
      try {
        const code = await body(ctx, options, args, command);
        exitCode = typeof code === 'number' ? code : EXIT.ok;
      } catch (error) {
        if (!(error instanceof RequestFailedError)) throw error;
        if (options.json && error.answer?.isJson) io.stdout(`${error.answer.text}\n`);
        io.stderr(`error: ${error.message}\n`);
        exitCode = EXIT.failed;
      }
    };

  const program = new Command('jobq')
    .description('Operate the job queue through its HTTP API')
    .version(version, '-V, --version')
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
    })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EPILOG);
  for (const option of globalOptions()) program.addOption(option);

  registerJobCommands(program, run);
  registerStatsCommand(program, run);
  registerSteeringCommands(program, run);
  registerCleanupCommand(program, run);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCode;
}
