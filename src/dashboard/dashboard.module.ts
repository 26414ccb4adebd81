import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** GET /dashboard: the operator's page, built by `npm run build` from ./web. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
