/** Exit codes: scripts tell a refused request from a mistyped command by these. */
export const EXIT = {
  ok: 0,
  /** The request failed: an API error (4xx/5xx), no answer, or a watched job that failed. */
  failed: 1,
  /** The command line was wrong: unknown command or option, missing or bad value, no --yes. */
  usage: 2,
} as const;

export interface RawAnswer {
  status: number;
  /** The body exactly as received. */
  text: string;
  /** Whether `text` is JSON (then --json prints it). */
  isJson: boolean;
}

/** A request that did not succeed; `message` is what the user reads on stderr. */
export class RequestFailedError extends Error {
  constructor(
    message: string,
    /** The API's answer, when there was one. */
    readonly answer?: RawAnswer,
  ) {
    super(message);
    this.name = 'RequestFailedError';
  }
}
