import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { Auth } from '../auth/auth.js';
import type { TokenRefusal } from './token-refusal.js';
import type { TokenVerification } from './token-verification.js';

/** A passport-jwt strategy named `name`, checking tokens as `TokenVerification` says. */
export function TokenStrategy(name: string) {
  return class TokenStrategy extends PassportStrategy(Strategy, name) {
    readonly strategyName = name;

    constructor(readonly verification: TokenVerification) {
      super(verification.strategyOptions());
    }

    /** A refusal goes to passport's fail(), so that the next strategy of the chain gets its turn. */
    validate(payload: unknown): Auth | [false, TokenRefusal] {
      const result = this.verification.authenticate(payload);
      return result instanceof Error ? [false, result] : result;
    }
  };
}
