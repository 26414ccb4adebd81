import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiErrorResponse,
  invalidFieldsError,
  STORE_UNAVAILABLE,
  WRITE_NOT_REPLICATED,
} from '../common/api-error-response';
import { JobStatusDto } from '../jobs/dto/job-responses.dto';
import { AdminOnly, ReadLimit } from '../security/security.decorators';
import { JobIdPipe } from '../jobs/job-id.pipe';
import { ApiJobIdParam, EXAMPLE_JOB_ID, INVALID_JOB_ID, JOB_NOT_FOUND } from '../jobs/job-openapi';
import { JobErrorCode } from '../queue/job.errors';
import { JobRecord } from '../queue/job.types';
import { QueueStatsSnapshot } from '../queue/queue-stats';
import { DeletedResponseDto, PurgeDto, RetriedResponseDto, RetryFailedDto } from './dto/bulk.dto';
import { ListJobsQuery } from './dto/list-jobs.query';
import { JobListDto, StatsDto } from './dto/operations-responses.dto';
import { JobList, OperationsService } from './operations.service';

const STATUS_VALUES =
  'status must be one of the following values: pending, processing, completed, failed, cancelled';

@ApiTags('operations')
@ApiErrorResponse(503, { ...STORE_UNAVAILABLE, description: 'Redis is unreachable. Retry later.' })
@Controller()
export class OperationsController {
  constructor(private readonly operations: OperationsService) {}

  @Get('jobs')
  @ReadLimit()
  @ApiOperation({
    summary: 'Find jobs',
    description:
      'Newest first by created_ts (ties by job_id), only jobs matching every given filter. Follow ' +
      'next_cursor until it is null to see every job that matched throughout exactly once.',
  })
  @ApiOkResponse({ type: JobListDto })
  @ApiErrorResponse(
    400,
    invalidFieldsError('An unknown parameter or a bad value; each is named in `errors`.', [
      { field: 'status', message: STATUS_VALUES },
      { field: 'color', message: 'property color should not exist' },
    ]),
  )
  list(@Query() query: ListJobsQuery): Promise<JobList> {
    return this.operations.list(query);
  }

  @Get('stats')
  @ReadLimit()
  @ApiOperation({
    summary: 'Queue statistics',
    description:
      'Counts per state (exact at the moment of the call), how long the next job in line has waited, ' +
      'completed and failed per minute over the last hour, and the live workers.',
  })
  @ApiOkResponse({ type: StatsDto })
  stats(): Promise<QueueStatsSnapshot> {
    return this.operations.snapshot();
  }

  @Post('jobs/retry-failed')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Retry every failed job',
    description:
      'Every failed job matching the optional filters (up to `max`, oldest first) runs again as a new ' +
      'job would: pending, retry_count 0, last_error kept. The body may be omitted.',
  })
  @ApiBody({ type: RetryFailedDto, required: false })
  @ApiOkResponse({ type: RetriedResponseDto })
  @ApiErrorResponse(
    400,
    invalidFieldsError('A bad filter, or a body that is not a JSON object; nothing was changed.', [
      { field: 'max', message: 'max must not be greater than 100000' },
    ]),
  )
  retryFailed(@Body() dto: RetryFailedDto): Promise<{ retried: number }> {
    return this.operations.retryFailed(dto);
  }

  @Post('jobs/purge')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Delete finished jobs',
    description:
      'Deletes jobs in the given finished state whose completed_ts is at least older_than_s seconds ago ' +
      '(all of them without it). Works in chunks; safe while workers run.',
  })
  @ApiOkResponse({ type: DeletedResponseDto })
  @ApiErrorResponse(
    400,
    invalidFieldsError(
      'status is not completed, failed or cancelled, or older_than_s is not an integer >= 0; ' +
        'nothing was deleted.',
      [
        {
          field: 'status',
          message: 'status must be one of the following values: completed, failed, cancelled',
        },
      ],
    ),
  )
  purge(@Body() dto: PurgeDto): Promise<{ deleted: number }> {
    return this.operations.purge(dto.status, dto.older_than_s);
  }

  @Get('jobs/:job_id')
  @ReadLimit()
  @ApiOperation({ summary: "A job's status and metadata (as GET /jobs/status/{job_id})" })
  @ApiJobIdParam()
  @ApiOkResponse({ type: JobStatusDto })
  @ApiErrorResponse(400, INVALID_JOB_ID)
  @ApiErrorResponse(404, JOB_NOT_FOUND)
  find(@Param('job_id', JobIdPipe) jobId: string): Promise<JobRecord> {
    return this.operations.find(jobId);
  }

  @Post('jobs/:job_id/cancel')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a job',
    description:
      'A pending job (ready, scheduled or waiting for a retry) is cancelled at once and never runs (200). ' +
      'A processing job has its attempt aborted within a second and ends cancelled, never retried (202); ' +
      'if the attempt had already finished, it keeps that outcome.',
  })
  @ApiOkResponse({ type: JobStatusDto, description: 'Cancelled.' })
  @ApiAcceptedResponse({
    type: JobStatusDto,
    description: 'The job is processing: its attempt is being aborted (`cancel_requested: true`).',
  })
  @ApiJobIdParam()
  @ApiErrorResponse(400, INVALID_JOB_ID)
  @ApiErrorResponse(404, JOB_NOT_FOUND)
  @ApiErrorResponse(409, {
    description: 'The job already finished (completed, failed or cancelled).',
    code: JobErrorCode.NotCancellable,
    message: `job ${EXAMPLE_JOB_ID} is completed and cannot be cancelled`,
  })
  @ApiErrorResponse(503, WRITE_NOT_REPLICATED)
  async cancel(
    @Param('job_id', JobIdPipe) jobId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobRecord> {
    const { accepted, job } = await this.operations.cancel(jobId);
    if (accepted) void reply.status(202);
    return job;
  }

  @Post('jobs/:job_id/retry')
  @AdminOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Retry a failed or cancelled job',
    description:
      'The job runs again as a new one would: pending, retry_count 0 (a full retry budget), last_error ' +
      'kept, queued at the back of its priority.',
  })
  @ApiJobIdParam()
  @ApiOkResponse({ type: JobStatusDto, description: 'Queued again.' })
  @ApiErrorResponse(400, INVALID_JOB_ID)
  @ApiErrorResponse(404, JOB_NOT_FOUND)
  @ApiErrorResponse(409, {
    description: 'The job is not failed or cancelled.',
    code: JobErrorCode.NotRetryable,
    message: `job ${EXAMPLE_JOB_ID} is pending: only failed or cancelled jobs can be retried`,
  })
  @ApiErrorResponse(503, WRITE_NOT_REPLICATED)
  retry(@Param('job_id', JobIdPipe) jobId: string): Promise<JobRecord> {
    return this.operations.retry(jobId);
  }
}
