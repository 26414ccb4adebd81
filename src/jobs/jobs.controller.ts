import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { invalidFields } from '../common/error-body';
import { ReadLimit } from '../security/security.decorators';
import { JobIdPipe } from './job-id.pipe';
import { SubmitJobDto } from './dto/submit-job.dto';
import { SubmitJobsDto } from './dto/submit-jobs.dto';
import { JobStatusDto, SubmitJobResponseDto, SubmitJobsResponseDto } from './dto/job-responses.dto';
import { IdempotencyOptions, JobsService } from './jobs.service';
import { JobRecord } from '../queue/job.types';

const unavailable = {
  type: ErrorResponseDto,
  description: 'Redis is unreachable; nothing was written. Retry later.',
  example: {
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'The job store is unavailable; retry shortly',
    code: 'STORE.UNAVAILABLE',
  },
};

const badJob = {
  type: ErrorResponseDto,
  description: 'Invalid input: every invalid field is named in `errors`. Nothing was written.',
  example: {
    statusCode: 400,
    error: 'Bad Request',
    message: 'priority must be one of the following values: high, low',
    code: 'REQUEST.INVALID_FIELDS',
    errors: [
      { field: 'priority', message: 'priority must be one of the following values: high, low' },
    ],
  },
};

const tooLarge = {
  type: ErrorResponseDto,
  description: 'Request body over the size limit.',
  example: {
    statusCode: 413,
    error: 'Payload Too Large',
    message: 'Request body is larger than 1 MiB',
    code: 'REQUEST.BODY_TOO_LARGE',
  },
};

const notJson = {
  type: ErrorResponseDto,
  description: 'Content-Type is not application/json.',
  example: {
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: 'Send the body as JSON with the header Content-Type: application/json',
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  },
};

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

const keyReused = {
  type: ErrorResponseDto,
  description:
    'The Idempotency-Key was already used with a different request body. Nothing was written.',
  example: {
    statusCode: 409,
    error: 'Conflict',
    message: 'this Idempotency-Key was used for a different request',
    code: 'JOB.IDEMPOTENCY_KEY_REUSED',
  },
};

function idempotency(
  key: string | undefined,
  request: FastifyRequest,
): IdempotencyOptions | undefined {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key) || key.trim() === '') {
    throw invalidFields([
      {
        field: 'Idempotency-Key',
        message: 'Idempotency-Key must be 1-255 printable ASCII characters',
      },
    ]);
  }
  return { key, principal: request.principal ?? 'anonymous' };
}

@ApiTags('jobs')
@ApiUnauthorizedResponse({
  type: ErrorResponseDto,
  description: 'API_KEYS is set and no valid key was presented.',
  example: {
    statusCode: 401,
    error: 'Unauthorized',
    message: 'A valid API key is required: Authorization: Bearer <key> or X-API-Key: <key>',
    code: 'AUTH.UNAUTHORIZED',
  },
})
@ApiTooManyRequestsResponse({
  type: ErrorResponseDto,
  description:
    'Over the rate limit for this API key (or address): RATE_LIMIT_PER_MINUTE, or ' +
    'RATE_LIMIT_READS_PER_MINUTE for reads; see the Retry-After header.',
  example: {
    statusCode: 429,
    error: 'Too Many Requests',
    message: 'Rate limit of 600 requests per minute exceeded; retry in 12 s',
    code: 'RATE_LIMIT.EXCEEDED',
  },
})
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
  @ApiBadRequestResponse(badJob)
  @ApiPayloadTooLargeResponse(tooLarge)
  @ApiUnsupportedMediaTypeResponse(notJson)
  @ApiServiceUnavailableResponse(unavailable)
  @ApiHeader(idempotencyHeader)
  @ApiOkResponse({
    type: SubmitJobResponseDto,
    description:
      "A repeat of an earlier request with the same Idempotency-Key: its job and that job's " +
      'current status; nothing new created.',
  })
  @ApiConflictResponse(keyReused)
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
  @ApiBadRequestResponse({
    ...badJob,
    example: {
      statusCode: 400,
      error: 'Bad Request',
      message: 'jobs.3.payload.to must be a valid e-mail address (local@domain.tld)',
      code: 'REQUEST.INVALID_FIELDS',
      errors: [
        {
          field: 'jobs.3.payload.to',
          message: 'jobs.3.payload.to must be a valid e-mail address (local@domain.tld)',
        },
      ],
    },
  })
  @ApiPayloadTooLargeResponse(tooLarge)
  @ApiUnsupportedMediaTypeResponse(notJson)
  @ApiServiceUnavailableResponse(unavailable)
  @ApiHeader(idempotencyHeader)
  @ApiOkResponse({
    type: SubmitJobsResponseDto,
    description:
      'A repeat of an earlier request with the same Idempotency-Key: its jobs, nothing new created.',
  })
  @ApiConflictResponse(keyReused)
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
  @ApiOkResponse({ type: JobStatusDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'The id is not a UUID.',
    example: {
      statusCode: 400,
      error: 'Bad Request',
      message: 'job_id must be a UUID',
      code: 'REQUEST.INVALID_FIELDS',
      errors: [{ field: 'job_id', message: 'job_id must be a UUID' }],
    },
  })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No such job (never submitted, or expired after its retention period).',
    example: {
      statusCode: 404,
      error: 'Not Found',
      message: 'job 3f0c9a4e-8b7e-4d1a-9c55-2b1f6f0e7a11 not found',
      code: 'JOB.NOT_FOUND',
    },
  })
  @ApiServiceUnavailableResponse(unavailable)
  async status(@Param('job_id', JobIdPipe) jobId: string): Promise<JobRecord> {
    return this.jobs.status(jobId);
  }
}
