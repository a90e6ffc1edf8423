import type { IncomingHttpHeaders } from 'node:http';
import { Strategy } from 'passport-strategy';
import type { TokenExtractor } from './token-extractor.js';
import { TokenRefusal } from './token-refusal.js';

/**
 * passport's base strategy for a bearer token: the token where the strategy reads it, handed to
 * the callback that @nestjs/passport makes of `validate()`.
 */
export class BearerTokenStrategy extends Strategy {
  // Public: the mixin of @nestjs/passport makes anonymous classes of this, which TypeScript cannot declare with private members.
  constructor(
    readonly extract: TokenExtractor,
    readonly validated: (token: string, done: (error: unknown, user?: unknown, info?: unknown) => void) => void,
  ) {
    super();
  }

  override authenticate(request: { headers: IncomingHttpHeaders }): void {
    const token = this.extract(request);
    if (!token) return this.fail(new TokenRefusal('missing bearer token', 'missing'), 401);
    this.validated(token, (error, user, info) => {
      if (error) return this.error(error as Error);
      if (!user) return this.fail(info, 401);
      this.success(user);
    });
  }
}

