import type Redis from 'ioredis';
import { CHECK_TIMEOUT_MS, Readiness } from './readiness';

/** Stands in for the Redis connection's PING only: what readiness does with the answers is under test. */
function redisAnswering(ping: () => Promise<string>): Redis {
  return { ping } as unknown as Redis;
}

describe('Readiness', () => {
  it('is ready when Redis answers and the process runs', async () => {
    const readiness = new Readiness(redisAnswering(() => Promise.resolve('PONG')));
    await expect(readiness.report()).resolves.toEqual({
      status: 'ok',
      checks: { redis: { status: 'up' }, process: { status: 'up' } },
    });
  });

  it('names Redis when PING fails or hangs', async () => {
    const failing = new Readiness(redisAnswering(() => Promise.reject(new Error('refused'))));
    await expect(failing.report()).resolves.toMatchObject({
      status: 'error',
      failed: ['redis'],
      checks: { redis: { status: 'down' }, process: { status: 'up' } },
    });
    const hanging = new Readiness(redisAnswering(() => new Promise(() => undefined)));
    const report = await hanging.report();
    expect(report.failed).toEqual(['redis']);
    expect(report.checks.redis.detail).toContain(`${CHECK_TIMEOUT_MS} ms`);
  });

  it('is not ready once the application starts to close', async () => {
    const readiness = new Readiness(redisAnswering(() => Promise.resolve('PONG')));
    readiness.onModuleDestroy();
    expect(readiness.shuttingDown).toBe(true);
    await expect(readiness.report()).resolves.toMatchObject({
      status: 'error',
      failed: ['process'],
      checks: { process: { status: 'down', detail: 'shutting down' } },
    });
  });

  it("takes other modules' checks: down, throwing or too slow each fail readiness", async () => {
    const readiness = new Readiness(redisAnswering(() => Promise.resolve('PONG')));
    readiness.add({
      name: 'delivery',
      check: () => Promise.resolve({ status: 'down', detail: 'smtp: authentication refused' }),
    });
    readiness.add({ name: 'broken', check: () => Promise.reject(new Error('boom')) });
    readiness.add({ name: 'slow', check: () => new Promise(() => undefined) });
    readiness.add({ name: 'fine', check: () => Promise.resolve({ status: 'up' }) });
    const report = await readiness.report();
    expect(report.status).toBe('error');
    expect(report.failed).toEqual(['delivery', 'broken', 'slow']);
    expect(report.checks.delivery).toEqual({
      status: 'down',
      detail: 'smtp: authentication refused',
    });
    expect(report.checks.broken).toEqual({ status: 'down', detail: 'boom' });
    expect(report.checks.slow.status).toBe('down');
    expect(report.checks.fine).toEqual({ status: 'up' });
    expect(() =>
      readiness.add({ name: 'redis', check: () => Promise.resolve({ status: 'up' }) }),
    ).toThrow(/exists already/);
  });
});
