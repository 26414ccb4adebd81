import { setTimeout as sleep } from 'node:timers/promises';
import { EmailTransport, OutgoingEmail } from './email-transport';

/** The seed's worker: "sends" by waiting, and fails with a given probability. */
export class SimulatedEmailTransport implements EmailTransport {
  constructor(
    private readonly durationMs: number,
    private readonly failureRate: number,
    private readonly random: () => number = Math.random,
  ) {}

  async send(_email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    if (this.durationMs > 0) await sleep(this.durationMs, undefined, { signal });
    if (this.failureRate > 0 && this.random() < this.failureRate) {
      throw new Error('simulated send failure');
    }
  }
}
