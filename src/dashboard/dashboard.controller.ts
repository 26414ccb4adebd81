import { Controller, Get, Header, Logger, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiError, ErrorCode } from '../common/error-body';
import { DASHBOARD_CSP } from '../security/security-headers';
import { Public } from '../security/security.decorators';
import { acceptsGzip, DashboardAsset, DashboardAssets } from './dashboard-assets';

export const DASHBOARD_NOT_BUILT = 'DASHBOARD.NOT_BUILT';

/**
 * The dashboard page and its assets. Public, so the page loads without a key; every API
 * call the page makes carries the key the user entered. Asset names carry a content
 * hash, so they are cached for good; the page itself is revalidated on every load.
 */
@ApiExcludeController()
@Public()
@Controller('dashboard')
export class DashboardController {
  private readonly logger = new Logger('Dashboard');
  private loaded?: DashboardAssets | null;

  private assets(): DashboardAssets {
    if (this.loaded === undefined) {
      this.loaded = DashboardAssets.load();
      if (!this.loaded) this.logger.warn('The dashboard is not built: run npm run build');
    }
    if (!this.loaded) {
      throw apiError(503, DASHBOARD_NOT_BUILT, 'The dashboard is not built: run npm run build');
    }
    return this.loaded;
  }

  @Get()
  @Header('content-security-policy', DASHBOARD_CSP)
  @Header('cache-control', 'no-cache')
  page(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Buffer {
    return send(this.assets().index, request, reply);
  }

  @Get('assets/:name')
  @Header('content-security-policy', DASHBOARD_CSP)
  @Header('cache-control', 'public, max-age=31536000, immutable')
  asset(
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Buffer {
    const asset = this.assets().asset(name);
    if (!asset) throw apiError(404, ErrorCode.RouteNotFound, 'No such dashboard asset');
    return send(asset, request, reply);
  }
}

function send(asset: DashboardAsset, request: FastifyRequest, reply: FastifyReply): Buffer {
  void reply.type(asset.type);
  if (!asset.gzip) return asset.body;
  void reply.header('vary', 'accept-encoding');
  if (!acceptsGzip(request.headers['accept-encoding'])) return asset.body;
  void reply.header('content-encoding', 'gzip');
  return asset.gzip;
}
