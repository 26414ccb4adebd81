import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
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
import { validationException } from '../common/validation';
import { SubmitJobDto } from './dto/submit-job.dto';
import { SubmitJobsDto } from './dto/submit-jobs.dto';
import { JobStatusDto, SubmitJobResponseDto, SubmitJobsResponseDto } from './dto/job-responses.dto';
import { JobsService } from './jobs.service';
import { JobRecord } from './job.types';

const unavailable = {
  type: ErrorResponseDto,
  description: 'Redis is unreachable; nothing was written. Retry later.',
  example: {
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'The job store is unavailable; retry shortly',
  },
};

const badJob = {
  type: ErrorResponseDto,
  description: 'Invalid input: every invalid field is named in `errors`. Nothing was written.',
  example: {
    statusCode: 400,
    error: 'Bad Request',
    message: 'priority must be one of the following values: high, low',
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
    message: 'Request body is too large',
  },
};

const notJson = {
  type: ErrorResponseDto,
  description: 'Content-Type is not application/json.',
  example: {
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: 'Unsupported Media Type',
  },
};

const jobIdPipe = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () =>
    validationException([{ field: 'job_id', message: 'job_id must be a UUID v4' }]),
});

@ApiTags('jobs')
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
  async submit(@Body() dto: SubmitJobDto): Promise<SubmitJobResponseDto> {
    return { job_id: await this.jobs.submit(dto), status: 'pending' };
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
  async submitMany(@Body() dto: SubmitJobsDto): Promise<SubmitJobsResponseDto> {
    return { job_ids: await this.jobs.submitMany(dto.jobs) };
  }

  @Get('jobs/status/:job_id')
  @ApiOperation({ summary: "A job's status and metadata" })
  @ApiOkResponse({ type: JobStatusDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'The id is not a UUID v4.',
    example: {
      statusCode: 400,
      error: 'Bad Request',
      message: 'job_id must be a UUID v4',
      errors: [{ field: 'job_id', message: 'job_id must be a UUID v4' }],
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
  async status(@Param('job_id', jobIdPipe) jobId: string): Promise<JobRecord> {
    return this.jobs.status(jobId);
  }
}
