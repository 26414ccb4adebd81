import { OutgoingEmail } from './email-transport';
import { SimulatedEmailTransport } from './simulated-email.transport';

const email: OutgoingEmail = {
  jobId: '0b3c8a59-4c1e-4f39-9d51-93c1f1d8a0e7',
  to: 'alice@example.com',
  subject: 'Hello',
  text: 'Hi there',
};

/** A `random` that returns the given values in turn and counts its calls. */
function sequence(...values: number[]): (() => number) & { calls: number } {
  const fn = Object.assign(
    () => {
      const value = values[fn.calls % values.length];
      fn.calls += 1;
      return value;
    },
    { calls: 0 },
  );
  return fn;
}

const live = (): AbortSignal => new AbortController().signal;

describe('SimulatedEmailTransport', () => {
  it('with duration 0 and rate 0 resolves, without drawing a random number', async () => {
    const random = sequence(0);
    await expect(new SimulatedEmailTransport(0, 0, random).send(email, live())).resolves.toBe(
      undefined,
    );
    expect(random.calls).toBe(0);
  });

  it('fails when random() < rate', async () => {
    const random = sequence(0.29);
    const transport = new SimulatedEmailTransport(0, 0.3, random);
    await expect(transport.send(email, live())).rejects.toThrow('simulated send failure');
    expect(random.calls).toBe(1);
  });

  it('succeeds when random() >= rate (the boundary included)', async () => {
    const random = sequence(0.3, 0.31, 0.999);
    const transport = new SimulatedEmailTransport(0, 0.3, random);
    for (let i = 0; i < 3; i++)
      await expect(transport.send(email, live())).resolves.toBe(undefined);
    expect(random.calls).toBe(3);
  });

  it('draws once per send: the outcome follows the sequence', async () => {
    const transport = new SimulatedEmailTransport(0, 0.5, sequence(0.1, 0.9, 0.4, 0.6));
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await transport.send(email, live()).then(
          () => 'ok',
          () => 'fail',
        ),
      );
    }
    expect(outcomes).toEqual(['fail', 'ok', 'fail', 'ok']);
  });

  it('rate 1 always fails, whatever the draw below 1', async () => {
    const transport = new SimulatedEmailTransport(0, 1, sequence(0, 0.5, 0.999999));
    for (let i = 0; i < 3; i++) {
      await expect(transport.send(email, live())).rejects.toThrow('simulated send failure');
    }
  });

  it('the failure is transient (not a PermanentJobError)', async () => {
    const error = await new SimulatedEmailTransport(0, 1, () => 0).send(email, live()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: unknown }).code).toBeUndefined();
  });

  it('an abort ends a long "send" at once with an AbortError, and no outcome is drawn', async () => {
    const random = sequence(0);
    const transport = new SimulatedEmailTransport(3_600_000, 1, random);
    const controller = new AbortController();
    const sending = transport.send(email, controller.signal);
    controller.abort(new Error('lease lost'));
    await expect(sending).rejects.toMatchObject({ name: 'AbortError' });
    expect(random.calls).toBe(0);
  });

  it('an already-aborted signal rejects a long "send" straight away', async () => {
    const transport = new SimulatedEmailTransport(3_600_000, 0);
    await expect(transport.send(email, AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('a short duration resolves when not aborted', async () => {
    const transport = new SimulatedEmailTransport(5, 0, sequence(0));
    await expect(transport.send(email, live())).resolves.toBe(undefined);
  });
});
