import { InjectQueue } from '@nestjs/bullmq';
import { Body, Controller, Post } from '@nestjs/common';
import { Queue } from 'bullmq';
import { SubmitJobDto } from './submit-job.dto';

export const QUEUE_NAME = process.env.BULL_QUEUE ?? 'bench-nest';

@Controller()
export class JobsController {
  constructor(@InjectQueue(QUEUE_NAME) private readonly queue: Queue) {}

  @Post('submit-job')
  async submit(@Body() dto: SubmitJobDto): Promise<{ job_id: string | undefined; status: string }> {
    const job = await this.queue.add(dto.job_type, dto.payload, {
      priority: dto.priority === 'high' ? 1 : 2,
    });
    return { job_id: job.id, status: 'pending' };
  }
}
