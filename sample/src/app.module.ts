import { Module } from '@nestjs/common';
import { MicrokubesModule } from 'microkubes-nestjs';
import { ensureDevKeys } from './dev-keys.js';
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
      }),
    }),
  ],
  controllers: [HelloController],
})
export class AppModule {}
