import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { invalidFields } from '../common/error-body';
import { ErrorResponseDto } from '../common/error-response.dto';
import { JobIdPipe } from '../jobs/job-id.pipe';
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
  '(submitted, processing, retry_scheduled, completed, failed, cancelled, stalled, retried), ' +
  '`data:` the event as JSON (event, job_id, job_type, priority, ts; attempt, available_after, ' +
  'error, stall_count where they apply). A comment line every 15 s keeps proxies from closing it.';

const SSE_EXAMPLE =
  'id: 1795820025123-0\nevent: completed\ndata: {"event":"completed","job_id":"3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11","job_type":"send_email","priority":"high","ts":1795820025.123}\n\n';

@ApiTags('events')
@ApiSecurity('bearer')
@ApiSecurity('api-key')
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
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this event id (sent by EventSource on reconnect).',
  })
  @ApiOkResponse({
    description: 'The event stream.',
    content: { 'text/event-stream': { example: SSE_EXAMPLE } },
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'A bad filter or Last-Event-ID.',
    example: {
      statusCode: 400,
      error: 'Bad Request',
      message: 'priority must be one of the following values: high, low',
      errors: [
        { field: 'priority', message: 'priority must be one of the following values: high, low' },
      ],
      code: 'REQUEST.INVALID',
    },
  })
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
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The event stream.',
    content: { 'text/event-stream': { example: SSE_EXAMPLE } },
  })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'The id is not a UUID.',
    example: {
      statusCode: 400,
      error: 'Bad Request',
      message: 'job_id must be a UUID',
      errors: [{ field: 'job_id', message: 'job_id must be a UUID' }],
      code: 'REQUEST.INVALID',
    },
  })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No such job.',
    example: {
      statusCode: 404,
      error: 'Not Found',
      message: 'job 3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11 not found',
      code: 'JOB.NOT_FOUND',
    },
  })
  async jobEvents(
    @Param('job_id', JobIdPipe) jobId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!(await this.repository.find(jobId))) {
      throw new JobError(JobErrorCode.NotFound, `job ${jobId} not found`);
    }
    const sse = new SseResponse(reply, (e) => e.job_id === jobId);
    const stream = new JobEventStream(sse, jobId);
    sse.onClose = await this.hub.subscribe(stream);
    const job = await this.repository.find(jobId);
    if (job) stream.start(job);
    else stream.close(); // removed in the meantime
  }
}
