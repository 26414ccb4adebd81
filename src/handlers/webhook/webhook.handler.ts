import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import { webhookConfig } from '../../config/configuration';
import { WORKER_AUTOSTART } from '../../worker/worker.constants';
import { JobContext, JobHandler, JobHandlerImpl, PermanentJobError } from '../job-handler';
import {
  serializedBody,
  urlProblem,
  WEBHOOK_LIMITS,
  WebhookPayloadDto,
} from './webhook-payload.dto';
import { WebhookTransport } from './webhook.transport';

/** `webhook`: an HTTP request to the payload's URL, signed per Standard Webhooks. */
@Injectable()
@JobHandler({ type: 'webhook', payload: WebhookPayloadDto })
export class WebhookHandler
  implements JobHandlerImpl<WebhookPayloadDto>, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Webhook');
  private readonly transport: WebhookTransport;

  constructor(
    @Inject(webhookConfig.KEY) config: ConfigType<typeof webhookConfig>,
    private readonly moduleRef: ModuleRef,
  ) {
    this.transport = new WebhookTransport(config);
  }

  /** Warns about unsigned webhooks where they can be sent: in a process that runs a worker. */
  onApplicationBootstrap(): void {
    if (this.transport.signs || !this.runsWorker()) return;
    this.logger.warn(
      'WEBHOOK_SECRET is not set: webhooks are sent unsigned, and receivers cannot tell them from forgeries',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }

  async handle({ jobId, payload, signal }: JobContext<WebhookPayloadDto>): Promise<void> {
    // Checked at submission; checked again for a job stored by an older version.
    const problem = urlProblem(payload.url);
    if (problem) throw new PermanentJobError(`payload.url ${problem}`);
    await this.transport.send(
      {
        id: jobId,
        url: payload.url,
        method: payload.method ?? 'POST',
        headers: payload.headers ?? {},
        body: payload.body === undefined ? undefined : serializedBody(payload.body),
        timeoutMs: payload.timeout_ms ?? WEBHOOK_LIMITS.timeoutDefaultMs,
      },
      signal,
    );
  }

  private runsWorker(): boolean {
    try {
      return this.moduleRef.get<boolean>(WORKER_AUTOSTART, { strict: false }) === true;
    } catch {
      return false; // no worker module in this application
    }
  }
}
