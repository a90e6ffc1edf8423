import { Module } from '@nestjs/common';
import { MicrokubesModule } from 'microkubes-nestjs';
import { ensureDevKeys } from './dev-keys.js';
import { gatewayFromEnvironment } from './gateway-settings.js';
import { HelloController } from './hello.controller.js';

@Module({
  imports: [
    MicrokubesModule.forRootAsync({
      useFactory: () => ({
        // The platform mounts its keys at /run/secrets (or /run/secrets/microkubes on Kubernetes).
        keysDir: process.env.MICROKUBES_KEYS_DIR || ensureDevKeys(),
        security: {
          publicRoutes: ['/healthcheck'],
        },
        // Registers with Kong at start-up when API_GATEWAY_URL is set; start-up fails if that fails.
        gateway: gatewayFromEnvironment(),
      }),
    }),
  ],
  controllers: [HelloController],
})
export class AppModule {}
