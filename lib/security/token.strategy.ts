import { PassportStrategy } from '@nestjs/passport';
import { Auth } from '../auth/auth.js';
import { BearerTokenStrategy } from './bearer-token.strategy.js';
import type { TokenRefusal } from './token-refusal.js';
import type { TokenVerification } from './token-verification.js';

/**
 * A passport strategy named `name` (so that `AuthGuard(name)` works too), checking tokens as
 * `TokenVerification` says, the same way MicrokubesAuthGuard's chain does.
 */
export function TokenStrategy(name: string) {
  return class TokenStrategy extends PassportStrategy(BearerTokenStrategy, name) {
    readonly strategyName = name;

    constructor(readonly verification: TokenVerification) {
      super(verification.extract);
    }

    /** The token's Auth; a refusal goes to passport's fail(), so that the next strategy of a chain gets its turn. */
    async validate(token: string): Promise<Auth | [false, TokenRefusal]> {
      const result = await this.verification.verify(token);
      return result instanceof Auth ? result : [false, result];
    }
  };
}
