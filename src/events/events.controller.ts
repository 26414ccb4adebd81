import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiErrorResponse,
  invalidFieldsError,
  STORE_UNAVAILABLE,
} from '../common/api-error-response';
import { invalidFields } from '../common/error-body';
import { JobIdPipe } from '../jobs/job-id.pipe';
import { ApiJobIdParam, INVALID_JOB_ID, JOB_NOT_FOUND } from '../jobs/job-openapi';
import { JobError, JobErrorCode } from '../queue/job.errors';
import { JobRepository } from '../queue/job.repository';
import { ReadLimit } from '../security/security.decorators';
import { EventsQuery } from './dto/events.query';
import { EventHub } from './event-hub';
import { JobEvent, STREAM_ID } from './job-event';
import { JobEventStream } from './job-event-stream';
import { SseResponse } from './sse-response';

const STREAM_DESCRIPTION =
  'A text/event-stream. Each message: `id:` the stream entry id, `event:` the event name ' +
  '(submitted, processing, retry_scheduled, completed, failed, cancelled, stalled, retried, released), ' +
  '`data:` the event as JSON (event, job_id, job_type, priority, ts; attempt, available_after, ' +
  'error, stall_count where they apply). A comment line every 15 s keeps proxies from closing it.';

const SSE_EXAMPLE =
  'id: 1795820025123-0\nevent: completed\ndata: {"event":"completed","job_id":"3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11","job_type":"send_email","priority":"high","ts":1795820025.123}\n\n';

const STREAM_RESPONSE = {
  description: 'The event stream.',
  content: { 'text/event-stream': { schema: { type: 'string' }, example: SSE_EXAMPLE } },
};

@ApiTags('events')
@ApiErrorResponse(503, { ...STORE_UNAVAILABLE, description: 'Redis is unreachable. Retry later.' })
@Controller()
export class EventsController {
  constructor(
    private readonly hub: EventHub,
    private readonly repository: JobRepository,
  ) {}

  @Get('events')
  @ReadLimit()
  @ApiOperation({
    summary: 'Job events, live (Server-Sent Events)',
    description:
      `${STREAM_DESCRIPTION} A client reconnecting with Last-Event-ID first gets the events it ` +
      'missed (as far back as the stream holds), then live ones.',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this event id (sent by EventSource on reconnect).',
  })
  @ApiOkResponse(STREAM_RESPONSE)
  @ApiErrorResponse(
    400,
    invalidFieldsError('A bad filter, an unknown parameter or a bad Last-Event-ID.', [
      { field: 'priority', message: 'priority must be one of the following values: high, low' },
    ]),
  )
  async events(
    @Query() query: EventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (lastEventId !== undefined && !STREAM_ID.test(lastEventId)) {
      throw invalidFields([
        { field: 'Last-Event-ID', message: 'Last-Event-ID must be an event id (<ms>-<seq>)' },
      ]);
    }
    // Before answering 200: a Redis that cannot be reached is a 503, not an empty stream.
    await this.hub.start();
    const jobId = query.job_id?.toLowerCase();
    const filter = (e: JobEvent): boolean =>
      (!query.job_type || e.job_type === query.job_type) &&
      (!query.priority || e.priority === query.priority) &&
      (!jobId || e.job_id === jobId);
    const sse = new SseResponse(reply, filter);
    sse.onClose = await this.hub.subscribe(sse, lastEventId);
  }

  @Get('jobs/:job_id/events')
  @ReadLimit()
  @ApiOperation({
    summary: "One job's events, live (Server-Sent Events)",
    description:
      'First an event `snapshot` with the job object as GET /jobs/{job_id} returns it, then the ' +
      "job's events as they happen; the server closes the stream after completed, failed or cancelled.",
  })
  @ApiJobIdParam()
  @ApiOkResponse(STREAM_RESPONSE)
  @ApiErrorResponse(400, INVALID_JOB_ID)
  @ApiErrorResponse(404, JOB_NOT_FOUND)
  async jobEvents(
    @Param('job_id', JobIdPipe) jobId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!(await this.repository.find(jobId))) {
      throw new JobError(JobErrorCode.NotFound, `job ${jobId} not found`);
    }
    await this.hub.start();
    const sse = new SseResponse(reply, (e) => e.job_id === jobId);
    const stream = new JobEventStream(sse, jobId);
    sse.onClose = await this.hub.subscribe(stream);
    const job = await this.repository.find(jobId);
    if (job) stream.start(job);
    else stream.close(); // removed in the meantime
  }
}
