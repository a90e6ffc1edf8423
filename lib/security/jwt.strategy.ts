import { TokenStrategy } from './token.strategy.js';

export const JWT_STRATEGY = 'microkubes-jwt';

/** Tokens of the platform's jwt-issuer: RS512 user tokens and its short-lived system tokens. */
export class MicrokubesJwtStrategy extends TokenStrategy(JWT_STRATEGY) {}
