import type { INestApplicationContext } from '@nestjs/common';
import { ConnectionAuthenticator } from '../security/connection-authenticator.js';

/** The app's ConnectionAuthenticator, for an adapter built outside Nest's injection; a clear error without the module. */
export function connectionAuthenticatorOf(app: INestApplicationContext, adapter: string): ConnectionAuthenticator {
  try {
    return app.get(ConnectionAuthenticator, { strict: false });
  } catch {
    throw new Error(`${adapter} needs MicrokubesModule: import MicrokubesModule.forRoot() (or forRootAsync(), forServiceConfig()) in the app's module`);
  }
}
