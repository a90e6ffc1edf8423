import { Logger } from '@nestjs/common';
import type { ResolvedMicrokubesOptions, ResolvedTokenOptions } from '../config/resolved-options.js';
import { MicrokubesOptionsError } from '../config/microkubes-options.error.js';
import type { KeyStore } from '../keys/key-store.js';
import type { TokenRevocations } from '../revocation/token-revocations.js';
import type { SamlServiceProvider } from '../saml/saml-service-provider.js';
import { SecurityTelemetry } from '../telemetry/security-telemetry.js';
import { MicrokubesJwtStrategy } from './jwt.strategy.js';
import { MicrokubesAuthenticator, type NamedStrategy } from './microkubes-authenticator.js';
import { MicrokubesOAuth2Strategy } from './oauth2.strategy.js';
import type { JwksKeySource } from './jwks-key-source.js';
import { KeyStoreKeySource } from './token-key-source.js';
import { TokenVerification } from './token-verification.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

const logger = new Logger('MicrokubesSecurity');

/** Builds the configured strategies, in chain order (JWT, OAuth2, SAML session), once at start-up. */
export async function buildSecurityChain(
  options: ResolvedMicrokubesOptions,
  store: KeyStore,
  saml: SamlServiceProvider | null,
  revocations?: TokenRevocations,
  telemetry: SecurityTelemetry = SecurityTelemetry.off,
): Promise<MicrokubesAuthenticator> {
  const { jwt, oauth2, tokenCacheSize, disabled } = options.security;
  if (disabled) {
    // As the platform's services: with security off, no strategy and no key is needed.
    logger.warn('Security is disabled (security.disable): MicrokubesAuthGuard lets every request through');
    return new MicrokubesAuthenticator([]);
  }
  const strategies: NamedStrategy[] = [];
  const enforced = revocations?.enabled ? revocations : undefined;
  let cache: VerifiedTokenCache | undefined;
  if (tokenCacheSize > 0) cache = new VerifiedTokenCache(tokenCacheSize, telemetry.tokenCacheEvents(() => cache));
  // A key removed or replaced: tokens it verified must be verified again.
  store.onChange(() => cache?.clear());
  if (jwt) {
    requireKeys(jwt, 'security.jwt', options, store);
    const keys = new KeyStoreKeySource(store, jwt.hmacSecret);
    // The authorization server's tokens go on to the OAuth2 strategy, which sets `clientId`.
    const declinedIssuers = oauth2?.issuer;
    strategies.push(new MicrokubesJwtStrategy(new TokenVerification({ strategy: 'jwt', options: jwt, keys, declinedIssuers }), enforced));
  }
  if (oauth2) {
    let keys: JwksKeySource | KeyStoreKeySource;
    if (oauth2.jwksUri) {
      // Loaded only here: jwks-rsa requires jose, an ES module, which Jest (before Node 24.9) cannot require.
      const { JwksKeySource } = await import('./jwks-key-source.js');
      const jwks = new JwksKeySource(oauth2.jwksUri, () => cache?.clear(), (ok) => telemetry.jwksFetched(ok ? 'ok' : 'failed'));
      await jwks.prefetch().then(
        (count) => logger.log(`Fetched ${count} signing key(s) from ${oauth2.jwksUri}`),
        (error: Error) => logger.warn(`Cannot fetch ${oauth2.jwksUri} yet, will retry on demand: ${error.message}`),
      );
      keys = jwks;
    } else {
      requireKeys(oauth2, 'security.oauth2', options, store);
      keys = new KeyStoreKeySource(store, oauth2.hmacSecret);
    }
    const requiredScopes = oauth2.requiredScopes;
    strategies.push(new MicrokubesOAuth2Strategy(new TokenVerification({ strategy: 'oauth2', options: oauth2, keys, requiredScopes }), enforced));
  }
  if (saml) strategies.push(saml.sessionStrategy);
  const { publicRoutes } = options.security;
  if (publicRoutes.length > 0) logger.log(`Public routes (whole paths of the routes that run): ${publicRoutes.map((route) => route.source).join(', ')}`);
  if (strategies.length === 0) logger.warn('No authentication strategy is enabled: MicrokubesAuthGuard refuses every request');
  if (!enforced) return new MicrokubesAuthenticator(strategies, cache);
  const authenticator = new MicrokubesAuthenticator(strategies, cache, enforced);
  enforced.useVerifier((token) => authenticator.verifyToken(token));
  // A revoked token leaves every replica's cache at once (a hit would be refused anyway).
  if (cache) {
    enforced.onRevocation((revocation) => {
      cache.evict((auth) => (revocation.kind === 'token' ? auth.claims.jti === revocation.id : enforced.isRevoked(auth)));
    });
  }
  return authenticator;
}

function requireKeys(tokens: ResolvedTokenOptions, option: string, options: ResolvedMicrokubesOptions, store: KeyStore): void {
  if (store.publicKeys().length > 0 || tokens.hmacSecret) return;
  const where = options.keysDir || Object.keys(options.keys).length > 0
    ? `no public key (*.pub) was found in ${[options.keysDir, ...Object.values(options.keys)].filter(Boolean).join(', ')}`
    : 'neither keysDir nor keys is set';
  throw new MicrokubesOptionsError(option, `cannot verify tokens: ${where} (or turn it off with ${option.split('.')[1]}: false)`);
}
