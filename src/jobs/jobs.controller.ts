import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiErrorResponse,
  DocumentedError,
  invalidFieldsError,
  STORE_UNAVAILABLE,
  WRITE_NOT_REPLICATED,
} from '../common/api-error-response';
import { invalidFields } from '../common/error-body';
import { ReadLimit } from '../security/security.decorators';
import { JobIdPipe } from './job-id.pipe';
import { ApiJobIdParam, INVALID_JOB_ID, JOB_NOT_FOUND } from './job-openapi';
import { SubmitJobDto } from './dto/submit-job.dto';
import { SubmitJobsDto } from './dto/submit-jobs.dto';
import { JobStatusDto, SubmitJobResponseDto, SubmitJobsResponseDto } from './dto/job-responses.dto';
import { IdempotencyOptions, JobsService } from './jobs.service';
import { JobErrorCode } from '../queue/job.errors';
import { JobRecord } from '../queue/job.types';

const INVALID =
  'Invalid input: every invalid field is named in `errors` (a malformed body or Idempotency-Key ' +
  'too). Nothing was written.';

const IDEMPOTENCY_KEY_MESSAGE = 'Idempotency-Key must be 1-255 printable ASCII characters';

/** Printable ASCII, 1-255 characters. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

const idempotencyHeader = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Optional, 1-255 printable ASCII characters. The same key with the same body within 24 h returns the ' +
    'first response (200) and creates nothing; with a different body it is refused (409).',
  example: 'order-1234-welcome-mail',
};

const KEY_REUSED: DocumentedError = {
  description:
    'The Idempotency-Key was already used with a different request body. Nothing was written.',
  code: JobErrorCode.IdempotencyMismatch,
  message: 'this Idempotency-Key was used for a different request',
};

function idempotency(
  key: string | undefined,
  request: FastifyRequest,
): IdempotencyOptions | undefined {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key) || key.trim() === '') {
    throw invalidFields([{ field: 'Idempotency-Key', message: IDEMPOTENCY_KEY_MESSAGE }]);
  }
  return { key, principal: request.principal ?? 'anonymous' };
}

@ApiTags('jobs')
@ApiErrorResponse(503, STORE_UNAVAILABLE)
@Controller()
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post('submit-job')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Submit a job',
    description: 'Stores the job and queues it by priority.',
  })
  @ApiCreatedResponse({ type: SubmitJobResponseDto, description: 'Accepted and queued.' })
  @ApiErrorResponse(
    400,
    invalidFieldsError(INVALID, [
      { field: 'priority', message: 'priority must be one of the following values: high, low' },
      {
        field: 'payload.to',
        message: 'payload.to must be a valid e-mail address (local@domain.tld)',
      },
    ]),
  )
  @ApiHeader(idempotencyHeader)
  @ApiOkResponse({
    type: SubmitJobResponseDto,
    description:
      "A repeat of an earlier request with the same Idempotency-Key: its job and that job's " +
      'current status; nothing new created.',
  })
  @ApiErrorResponse(409, KEY_REUSED)
  @ApiErrorResponse(503, WRITE_NOT_REPLICATED)
  async submit(
    @Body() dto: SubmitJobDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitJobResponseDto> {
    const { ids, replayed } = await this.jobs.submit(
      [dto],
      '',
      idempotency(idempotencyKey, request),
    );
    if (replayed) void reply.status(200);
    return { job_id: ids[0], status: await this.jobs.submittedStatus(ids[0], replayed) };
  }

  @Post('submit-jobs')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Submit up to 1,000 jobs at once',
    description:
      'All jobs are validated first; any invalid job rejects the whole request. Written atomically.',
  })
  @ApiCreatedResponse({
    type: SubmitJobsResponseDto,
    description: 'All accepted and queued, ids in request order.',
  })
  @ApiErrorResponse(
    400,
    invalidFieldsError(INVALID, [
      {
        field: 'jobs.7.payload.to',
        message: 'jobs.7.payload.to must be a valid e-mail address (local@domain.tld)',
      },
      {
        field: 'jobs.999.priority',
        message: 'jobs.999.priority must be one of the following values: high, low',
      },
    ]),
  )
  @ApiHeader(idempotencyHeader)
  @ApiOkResponse({
    type: SubmitJobsResponseDto,
    description:
      'A repeat of an earlier request with the same Idempotency-Key: its jobs, nothing new created.',
  })
  @ApiErrorResponse(409, KEY_REUSED)
  @ApiErrorResponse(503, WRITE_NOT_REPLICATED)
  async submitMany(
    @Body() dto: SubmitJobsDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitJobsResponseDto> {
    const { ids, replayed } = await this.jobs.submit(
      dto.jobs,
      'jobs',
      idempotency(idempotencyKey, request),
    );
    if (replayed) void reply.status(200);
    return { job_ids: ids };
  }

  @Get('jobs/status/:job_id')
  @ReadLimit()
  @ApiOperation({
    summary: "A job's status and metadata",
    description:
      'Counts against the read budget (RATE_LIMIT_READS_PER_MINUTE), not the submit one.',
  })
  @ApiJobIdParam()
  @ApiOkResponse({ type: JobStatusDto })
  @ApiErrorResponse(400, INVALID_JOB_ID)
  @ApiErrorResponse(404, JOB_NOT_FOUND)
  async status(@Param('job_id', JobIdPipe) jobId: string): Promise<JobRecord> {
    return this.jobs.status(jobId);
  }
}
