import type { RedisClient } from '../redis/redis-connection';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The queue's Lua scripts, one file per atomic operation (see lua/), registered
 * once per connection with ioredis `defineCommand`: EVALSHA with an EVAL fallback.
 * Scripts are addressed by the SHA-1 of their text, so a process never runs an
 * older version of a script that another process loaded.
 *
 * A script's name is its file name up to the first `-` or `.` (`claimJobs-5.lua`
 * is `claimJobs`); the number, where there is one, is its fixed key count. A line
 * `--- @include "name"` is replaced by lua/includes/name.lua, so shared pieces
 * (server time, requeue, events) exist once.
 */
const LUA_DIR = join(__dirname, 'lua');
const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;

function readScript(file: string): string {
  const seen = new Set<string>();
  const expand = (text: string): string =>
    text.replace(INCLUDE, (_line, name: string) => {
      if (seen.has(name)) return ''; // each include once, even when two includes need it
      seen.add(name);
      return expand(readFileSync(join(LUA_DIR, 'includes', `${name}.lua`), 'utf8'));
    });
  return expand(readFileSync(join(LUA_DIR, file), 'utf8'));
}

let sources: Map<string, string> | undefined;

/** Script texts by name, read from disk once per process. */
export function scriptSources(): ReadonlyMap<string, string> {
  sources ??= new Map(
    readdirSync(LUA_DIR)
      .filter((file) => file.endsWith('.lua'))
      .map((file) => [file.split(/[-.]/)[0], readScript(file)]),
  );
  return sources;
}

type ScriptFn = (numKeys: number, ...keysAndArgs: (string | number | Buffer)[]) => Promise<unknown>;

const registered = new WeakMap<RedisClient, JobScripts>();

export class JobScripts {
  private constructor(private readonly client: RedisClient) {
    for (const [name, lua] of scriptSources()) {
      // Key counts are passed on every call: several scripts take a variable number of keys.
      if (!(name in client)) client.defineCommand(name, { lua });
    }
  }

  /** The scripts on `client`, defined on it once. */
  static on(client: RedisClient): JobScripts {
    let scripts = registered.get(client);
    if (!scripts) {
      scripts = new JobScripts(client);
      registered.set(client, scripts);
    }
    return scripts;
  }

  run(
    name: string,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, ScriptFn | undefined>)[name];
    if (typeof fn !== 'function') throw new Error(`No Lua script named ${name}`);
    return fn.call(this.client, keys.length, ...keys, ...args);
  }
}
