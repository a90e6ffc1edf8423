import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC keeps decorator metadata, which Nest's dependency injection needs.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    // The sample imports the package by name; tests run it against the sources.
    alias: {
      'microkubes-nestjs/testing': fileURLToPath(new URL('./lib/testing/index.ts', import.meta.url)),
      'microkubes-nestjs/graphql': fileURLToPath(new URL('./lib/graphql/index.ts', import.meta.url)),
      'microkubes-nestjs/socket.io': fileURLToPath(new URL('./lib/socket.io/index.ts', import.meta.url)),
      'microkubes-nestjs/microservices': fileURLToPath(new URL('./lib/microservices/index.ts', import.meta.url)),
      'microkubes-nestjs/ws': fileURLToPath(new URL('./lib/ws/index.ts', import.meta.url)),
      'microkubes-nestjs/swagger': fileURLToPath(new URL('./lib/swagger/index.ts', import.meta.url)),
      'microkubes-nestjs': fileURLToPath(new URL('./lib/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.spec.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
