import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { MicrokubesModuleOptions } from './microkubes-options.interface.js';

export const {
  ConfigurableModuleClass: MicrokubesConfigurableModule,
  MODULE_OPTIONS_TOKEN: MICROKUBES_MODULE_OPTIONS,
  OPTIONS_TYPE: MICROKUBES_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: MICROKUBES_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MicrokubesModuleOptions>({ moduleName: 'Microkubes' })
  .setClassMethodName('forRoot')
  // Global by default: guards and `MICROKUBES_AUTH` resolve in every module of the app.
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
