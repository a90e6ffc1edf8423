import { Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Auth } from '../auth/auth.js';
import type { TokenRevocations } from '../revocation/token-revocations.js';
import { BearerTokenStrategy } from './bearer-token.strategy.js';
import { TokenRefusal } from './token-refusal.js';
import type { TokenVerification } from './token-verification.js';

const logger = new Logger('TokenStrategy');

/**
 * A passport strategy named `name` (so that `AuthGuard(name)` works too), checking tokens as
 * `TokenVerification` says, the same way MicrokubesAuthGuard's chain does.
 */
export function TokenStrategy(name: string) {
  return class TokenStrategy extends PassportStrategy(BearerTokenStrategy, name) {
    readonly strategyName = name;

    constructor(
      readonly verification: TokenVerification,
      /** With `security.revocation`: AuthGuard(name) refuses revoked tokens as the chain does. */
      readonly revocations?: TokenRevocations,
    ) {
      super(verification.extract);
    }

    /**
     * The token's Auth; a refusal goes to passport's fail(), so that the next strategy of a chain
     * gets its turn. A fault that is not the token's (a key source failing) is logged and refused
     * as "authentication failed", as in MicrokubesAuthGuard's chain: a 401, never a 500.
     */
    async validate(token: string): Promise<Auth | [false, TokenRefusal]> {
      try {
        const result = await this.verification.verify(token);
        if (!(result instanceof Auth)) return [false, result];
        const revoked = this.revocations?.refusal(result);
        return revoked ? [false, revoked] : result;
      } catch (error) {
        logger.error(`Authentication failed unexpectedly: ${(error as Error)?.message ?? error}`);
        return [false, new TokenRefusal('authentication failed')];
      }
    }
  };
}
