import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { JobHandler, JobHandlerImpl, JobHandlerOptions } from './job-handler';

export interface RegisteredHandler extends JobHandlerOptions {
  instance: JobHandlerImpl;
}

/** Finds every provider marked @JobHandler and indexes it by job_type. */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit {
  private readonly handlers = new Map<string, RegisteredHandler>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: JobHandler.KEY })) {
      const options = this.discovery.getMetadataByDecorator(JobHandler, wrapper);
      if (!options || !wrapper.instance) continue;
      if (this.handlers.has(options.type)) {
        throw new Error(`Two handlers are registered for job_type "${options.type}"`);
      }
      this.handlers.set(options.type, { ...options, instance: wrapper.instance as JobHandlerImpl });
    }
  }

  get(type: string): RegisteredHandler | undefined {
    return this.handlers.get(type);
  }

  /** Every registered handler, in registration order. */
  get all(): RegisteredHandler[] {
    return [...this.handlers.values()];
  }

  get types(): string[] {
    return [...this.handlers.keys()];
  }
}
