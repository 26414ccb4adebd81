import { CompletionBatcher } from './completion-batcher';
import { HeldLease } from '../queue/job.types';

describe('CompletionBatcher', () => {
  const lease = (n: number): HeldLease => ({
    id: `job-${n}`,
    token: `t-${n}`,
    payload: {},
    type: 'send_email',
    priority: 'low',
  });

  it('settles completions made in the same turn with one call, in order', async () => {
    const calls: HeldLease[][] = [];
    const batcher = new CompletionBatcher(async (leases) => {
      calls.push(leases);
      return leases.map((l) => l.id !== 'job-2');
    });
    const results = await Promise.all([1, 2, 3].map((n) => batcher.complete(lease(n))));
    expect(calls).toEqual([[lease(1), lease(2), lease(3)]]);
    expect(results).toEqual([true, false, true]);
  });

  it('splits large batches and starts a new batch for later completions', async () => {
    const sizes: number[] = [];
    const batcher = new CompletionBatcher(async (leases) => {
      sizes.push(leases.length);
      return leases.map(() => true);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.complete(lease(n))));
    await batcher.complete(lease(6));
    expect(sizes).toEqual([2, 2, 1, 1]);
  });

  it('rejects every completion of a batch whose call failed', async () => {
    const batcher = new CompletionBatcher(async () => {
      throw new Error('Connection is closed.');
    });
    const results = await Promise.allSettled([
      batcher.complete(lease(1)),
      batcher.complete(lease(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
