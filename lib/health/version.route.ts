import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { serveModuleGetRoute } from './module-get-route.js';

/** `GET /version` (the seed's `add_version_endpoint`): `{ "version": "<version>" }`, to anyone. */
@Injectable()
export class VersionRoute implements OnModuleInit {
  private readonly logger = new Logger('MicrokubesVersion');

  constructor(
    @Inject(MICROKUBES_OPTIONS) private readonly options: ResolvedMicrokubesOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const { versionEndpoint, version } = this.options.endpoints;
    const adapter = this.adapterHost.httpAdapter;
    if (!versionEndpoint || version === undefined || !adapter) return;
    const answer = { status: 200, body: { version } };
    if (serveModuleGetRoute(adapter, versionEndpoint.path, async () => answer, this.logger, 'versionEndpoint.path')) {
      this.logger.log(`Version ${version} at GET ${versionEndpoint.path}`);
    }
  }
}
