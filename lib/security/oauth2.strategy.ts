import { TokenStrategy } from './token.strategy.js';

export const OAUTH2_STRATEGY = 'microkubes-oauth2';

/**
 * Access tokens of the platform's authorization server: JWT bearer tokens (RS256) whose `sub` is
 * the OAuth2 client id, optionally with required scopes.
 */
export class MicrokubesOAuth2Strategy extends TokenStrategy(OAUTH2_STRATEGY) {}
