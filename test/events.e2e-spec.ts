import Redis from 'ioredis';
import { ApiClient } from './support/api-client';
import { startApi, startWorker, TestApi, TestWorker } from './support/apps';
import { emailJob } from './support/http';
import { connect, deletePrefix, SHARED_REDIS_URL, uniquePrefix } from './support/redis';
import { SseClient } from './support/sse';
import { waitFor } from './support/wait';

/**
 * Live events over Server-Sent Events: GET /events and GET /jobs/{id}/events,
 * served from one Redis reader per API process.
 */
describe('job events (SSE)', () => {
  const prefix = uniquePrefix('events');
  let redis: Redis;
  let api: TestApi;
  let client: ApiClient;
  let worker: TestWorker | undefined;
  const open: SseClient[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: SHARED_REDIS_URL,
    QUEUE_PREFIX: prefix,
    ...extra,
  });

  async function sse(path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const stream = await SseClient.open(`${api.baseUrl}${path}`, headers);
    open.push(stream);
    return stream;
  }

  beforeAll(async () => {
    redis = connect();
    api = await startApi(env());
    client = new ApiClient(api.baseUrl);
  });

  afterEach(async () => {
    for (const stream of open.splice(0)) stream.close();
    await worker?.close();
    worker = undefined;
  });

  afterAll(async () => {
    await api.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('streams every state change with id, event and JSON data', async () => {
    const stream = await sse('/events');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    worker = await startWorker(env());
    const id = await client.submitId(emailJob('high', 'live@example.com'));
    await stream.waitForEvents(
      (events) => events.some((e) => e.event === 'completed' && e.data.job_id === id),
      'the completed event',
    );
    const mine = stream.events.filter((e) => e.data.job_id === id);
    expect(mine.map((e) => e.event)).toEqual(['submitted', 'processing', 'completed']);
    for (const e of mine) {
      expect(e.id).toMatch(/^\d+-\d+$/);
      expect(e.data).toMatchObject({
        event: e.event,
        job_id: id,
        job_type: 'send_email',
        priority: 'high',
        ts: expect.any(Number),
      });
    }
    expect(mine[1].data.attempt).toBe(1);
    // Entry ids grow: they are the stream's own.
    expect([...mine.map((e) => e.id)].sort()).toEqual(mine.map((e) => e.id));
  });

  it('filters by job_type, priority and job_id; refuses unknown filters and bad values', async () => {
    const highs = await sse('/events?priority=high');
    const other = await sse('/events?job_type=webhook');
    const low = await client.submitId(emailJob('low', 'a@example.com'));
    const high = await client.submitId(emailJob('high', 'b@example.com'));
    const one = await sse(`/events?job_id=${low.toUpperCase()}`);
    await client.cancel(low);
    await highs.waitForEvents((e) => e.some((x) => x.data.job_id === high), 'the high job');
    await one.waitForEvents((e) => e.length === 1, 'the cancel of the low job');
    expect(highs.events.every((e) => e.data.priority === 'high')).toBe(true);
    expect(highs.events.some((e) => e.data.job_id === low)).toBe(false);
    expect(one.events.map((e) => [e.event, e.data.job_id])).toEqual([['cancelled', low]]);
    expect(other.events).toEqual([]);

    for (const query of ['colour=red', 'priority=urgent', 'job_id=nope']) {
      const res = await fetch(`${api.baseUrl}/events?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { errors: { field: string }[] };
      expect(body.errors).toHaveLength(1);
    }
    const badId = await fetch(`${api.baseUrl}/events`, { headers: { 'last-event-id': 'x' } });
    expect(badId.status).toBe(400);
  });

  it('a client reconnecting with Last-Event-ID gets what it missed, then live events', async () => {
    const first = await sse('/events');
    const a = await client.submitId(emailJob('low', 'a@example.com'));
    await first.waitForEvents((e) => e.some((x) => x.data.job_id === a), 'the first job');
    const lastSeen = first.events[first.events.length - 1].id as string;
    first.close();
    // Missed while away.
    const missed = [
      await client.submitId(emailJob('low', 'b@example.com')),
      await client.submitId(emailJob('low', 'c@example.com')),
    ];
    const again = await sse('/events', { 'last-event-id': lastSeen });
    const live = await client.submitId(emailJob('low', 'd@example.com'));
    await again.waitForEvents((e) => e.some((x) => x.data.job_id === live), 'the live job');
    expect(again.events.map((e) => e.data.job_id)).toEqual([...missed, live]);
    // Each exactly once, in stream order.
    const ids = again.events.map((e) => e.id as string);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("GET /jobs/{id}/events: a snapshot, then the job's events; closed after the terminal one", async () => {
    const id = await client.submitId(emailJob('high', 'watch@example.com'));
    const watch = await sse(`/jobs/${id}/events`);
    await watch.waitForEvents((e) => e.length === 1, 'the snapshot');
    expect(watch.events[0]).toMatchObject({ event: 'snapshot', data: (await client.job(id)).body });
    worker = await startWorker(env());
    await waitFor(() => watch.ended, { what: 'the server to close the stream' });
    expect(watch.events.map((e) => e.event)).toEqual(['snapshot', 'processing', 'completed']);

    // A finished job: the snapshot, then the end.
    const done = await sse(`/jobs/${id}/events`);
    await waitFor(() => done.ended, { what: 'the stream of a finished job to end' });
    expect(done.events.map((e) => [e.event, e.data.status])).toEqual([['snapshot', 'completed']]);

    const unknown = await fetch(`${api.baseUrl}/jobs/a0458ceb-4f89-4828-9a90-9d5088b125c9/events`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'JOB.NOT_FOUND' });
    expect((await fetch(`${api.baseUrl}/jobs/nope/events`)).status).toBe(400);
  });

  it('serves many clients from one Redis reader', async () => {
    const streams = await Promise.all(Array.from({ length: 50 }, () => sse('/events')));
    const ids = (await client.submitMany(Array.from({ length: 20 }, () => emailJob()))).body
      .job_ids;
    for (const stream of streams) {
      await stream.waitForEvents(
        (e) => ids.every((id) => e.some((x) => x.data.job_id === id)),
        'all 20 submissions',
      );
    }
    const clients = await redis.client('LIST');
    const readers = String(clients)
      .split('\n')
      .filter((line) => line.includes(`name=${prefix}:events-reader:`));
    expect(readers).toHaveLength(1);
  });
});
