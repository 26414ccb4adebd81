import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';

/**
 * The queue's Lua scripts, one file per atomic operation (see lua/), registered
 * once per connection with ioredis `defineCommand`: EVALSHA with an EVAL fallback.
 * Scripts are addressed by the SHA-1 of their text, so a process never runs an
 * older version of a script that another process loaded.
 *
 * A line `--- @include "name"` is replaced by lua/includes/name.lua, so shared
 * pieces (server time, requeue, promote-due) exist once.
 */
const SCRIPT_FILES = {
  submitJobs: 'submitJobs.lua',
  submitJobsOnce: 'submitJobsOnce.lua',
  rateLimit: 'rateLimit-1.lua',
  claimJobs: 'claimJobs-5.lua',
  completeJobs: 'completeJobs.lua',
  failJob: 'failJob-4.lua',
  extendLeases: 'extendLeases.lua',
  recoverExpired: 'recoverExpired-4.lua',
  releaseJobs: 'releaseJobs.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;

const LUA_DIR = join(__dirname, 'lua');
const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;

function readScript(file: string): string {
  return readFileSync(join(LUA_DIR, file), 'utf8').replace(INCLUDE, (_line, name: string) =>
    readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'),
  );
}

let sources: Record<ScriptName, string> | undefined;

/** Script texts, read from disk once per process. */
function scriptSources(): Record<ScriptName, string> {
  sources ??= Object.fromEntries(
    Object.entries(SCRIPT_FILES).map(([name, file]) => [name, readScript(file)]),
  ) as Record<ScriptName, string>;
  return sources;
}

type ScriptFn = (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

export class JobScripts {
  constructor(private readonly client: Redis) {
    for (const [name, lua] of Object.entries(scriptSources())) {
      // Key counts are passed on every call: several scripts take a variable number of keys.
      if (!(name in client)) client.defineCommand(name, { lua });
    }
  }

  run(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const fn = (this.client as unknown as Record<ScriptName, ScriptFn>)[name];
    return fn.call(this.client, keys.length, ...keys, ...args);
  }
}
