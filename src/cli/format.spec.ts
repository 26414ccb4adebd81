import type { JobRecord } from '../queue/job.types';
import type { QueueStatsSnapshot } from '../queue/queue-stats';
import {
  columns,
  duration,
  jobChange,
  jobDetail,
  jobTable,
  relative,
  sparkline,
  statsView,
  truncate,
  when,
} from './format';

const NOW = 1_795_820_100; // 2026-11-27T22:55:00Z

function job(fields: Partial<JobRecord> = {}): JobRecord {
  return {
    job_id: '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11',
    job_type: 'send_email',
    priority: 'high',
    payload: { to: 'alice@example.com', subject: 'Welcome aboard' },
    status: 'pending',
    retry_count: 0,
    stall_count: 0,
    created_ts: NOW - 90,
    picked_ts: null,
    completed_ts: null,
    available_after: null,
    ...fields,
  };
}

describe('CLI formatting', () => {
  it.each([
    [0.0004, '0ms'],
    [0.85, '850ms'],
    [3.21, '3.2s'],
    [59.99, '59.9s'],
    [60, '1m 00s'],
    [303, '5m 03s'],
    [7500, '2h 05m'],
    [266_400, '3d 02h'],
  ])('duration(%p) is %p', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it('says how long ago or ahead a time is', () => {
    expect(relative(NOW - 3.25, NOW)).toBe('3.2s ago');
    expect(relative(NOW + 300, NOW)).toBe('in 5m 00s');
    expect(relative(NOW, NOW)).toBe('now');
    expect(when(NOW - 1.5, NOW)).toBe('2026-11-27T22:54:58.500Z (1.5s ago)');
    expect(when(null, NOW)).toBe('-');
  });

  it('aligns columns, right-aligns where told, and pads no last column', () => {
    expect(
      columns(
        [
          ['a', '1', 'x'],
          ['longer', '100', ''],
        ],
        ['left', 'right'],
      ),
    ).toBe('a         1  x\nlonger  100');
  });

  it('truncates to one line', () => {
    expect(truncate('line one\nline two', 100)).toBe('line one line two');
    expect(truncate('abcdefghij', 8)).toBe('abcde...');
  });

  it('lists jobs as a table, a scheduled one with when it runs', () => {
    const text = jobTable(
      [
        job({ available_after: NOW + 5 }),
        job({
          job_id: '9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
          status: 'failed',
          priority: 'low',
          retry_count: 3,
          last_error: 'SMTP 550: mailbox unavailable',
        }),
      ],
      NOW,
    );
    expect(text.split('\n')).toEqual([
      'JOB ID                                STATUS             PRIORITY  TYPE        TO                 CREATED     RETRIES  LAST ERROR',
      '3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11  pending (in 5.0s)  high      send_email  alice@example.com  1m 30s ago        0  -',
      '9a1d2c3b-4e5f-4a6b-8c7d-0e1f2a3b4c5d  failed             low       send_email  alice@example.com  1m 30s ago        3  SMTP 550: mailbox unavailable',
    ]);
  });

  it('shows every field of a job, the payload included', () => {
    const text = jobDetail(
      job({ status: 'processing', picked_ts: NOW - 1, cancel_requested: true }),
      NOW,
    );
    expect(text).toContain('status           processing (cancelling)\n');
    expect(text).toContain('payload.subject  Welcome aboard\n');
    expect(text).toContain('picked           2026-11-27T22:54:59.000Z (1.0s ago)\n');
    expect(text).toContain('next attempt     -\n');
    expect(text).toMatch(/cancel +requested/);
  });

  it('describes each change of a watched job', () => {
    const first = job({ status: 'processing', picked_ts: NOW });
    expect(jobChange(first, undefined, NOW)).toBe('22:55:00.000Z  processing  attempt 1');
    const retrying = job({
      retry_count: 1,
      available_after: NOW + 2,
      last_error: 'simulated send failure',
    });
    expect(jobChange(retrying, first, NOW)).toBe(
      '22:55:00.000Z  pending     retry 1 in 2.0s, last error: simulated send failure',
    );
    const stalled = job({
      status: 'pending',
      retry_count: 1,
      stall_count: 1,
      last_error: 'simulated send failure',
    });
    expect(jobChange(stalled, retrying, NOW)).toBe(
      '22:55:00.000Z  pending     retry 1 ready, its worker was lost (1 time(s))',
    );
    const done = job({ status: 'completed', retry_count: 1, completed_ts: NOW });
    expect(jobChange(done, stalled, NOW)).toBe(
      '22:55:00.000Z  completed   after 2 attempt(s), 1m 30s after it was created',
    );
  });

  it('draws a sparkline scaled to the largest value', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('▁▃▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });

  it('shows the stats: counts, waiting times, the last hour, the workers', () => {
    const stats: QueueStatsSnapshot = {
      ready: { high: 0, low: 12 },
      scheduled: 3,
      processing: 10,
      completed: 15230,
      failed: 4,
      cancelled: 1,
      oldest_ready_age_s: { high: null, low: 0.84 },
      throughput: {
        completed_per_min: [...Array<number>(58).fill(0), 100, 120],
        failed_per_min: [...Array<number>(59).fill(0), 1],
      },
      workers: [
        {
          id: 'worker-1:1234:5f2c1a9b',
          host: 'worker-1',
          pid: 1234,
          concurrency: 10,
          active: 3,
          started_ts: NOW - 7200,
          last_seen_ts: NOW - 0.5,
        },
      ],
    };
    const text = statsView(stats, NOW);
    expect(text).toContain(
      'ready          12  high 0, low 12; waiting longest: high -, low 840ms\n' +
        'scheduled       3  waiting for their run_at or a retry\n' +
        'processing     10\n' +
        'completed   15230  120 this minute, 220 in the last hour\n' +
        'failed          4  1 this minute, 1 in the last hour\n' +
        'cancelled       1\n',
    );
    expect(text).toContain(`completed/min  ${'▁'.repeat(58)}▇█\n`);
    expect(text).toContain('workers: 1 alive, 3 of 10 slots busy\n');
    expect(text).toContain('worker-1:1234:5f2c1a9b  worker-1  1234  3/10  2h 00m ago  500ms ago');
  });
});
