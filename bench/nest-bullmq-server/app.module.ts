import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { JobsController, QUEUE_NAME } from './jobs.controller';

const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

@Module({
  imports: [
    BullModule.forRoot({
      connection: { host: redis.hostname, port: Number(redis.port || 6379) },
    }),
    BullModule.registerQueue({
      name: QUEUE_NAME,
      defaultJobOptions: { removeOnComplete: true },
    }),
  ],
  controllers: [JobsController],
})
export class AppModule {}
