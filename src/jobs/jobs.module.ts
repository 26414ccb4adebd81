import { Module } from '@nestjs/common';
import { HandlersModule } from '../handlers/handlers.module';
import { JobRepository } from './job.repository';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [HandlersModule],
  controllers: [JobsController],
  providers: [JobRepository, JobsService],
  exports: [JobRepository],
})
export class JobsModule {}
