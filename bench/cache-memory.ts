import jwt from 'jsonwebtoken';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { authFromClaims } from '../lib/auth/claims.js';
import { VerifiedTokenCache } from '../lib/security/verified-token.cache.js';

/**
 * `npm run bench`, memory part: the heap that a full 10,000-entry verified-token cache holds,
 * with tokens and Auths as the platform's jwt-issuer makes them. Run with --expose-gc.
 */
const ENTRIES = 10_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const now = Math.floor(Date.now() / 1000);
const tokens = Array.from({ length: ENTRIES }, (_, i) => jwt.sign({
  iss: 'Microkubes JWT Authority', sub: `user-${i}`, exp: now + 86_400, iat: now, nbf: 0, jti: randomUUID(),
  userId: `user-${i}`, username: `user${i}@example.com`, roles: 'user,editor', organizations: 'acme', namespaces: 'dev', scopes: 'api:read',
}, privateKey, { algorithm: 'RS512' }));

gc();
const before = process.memoryUsage().heapUsed;
const cache = new VerifiedTokenCache(ENTRIES);
// Fresh strings, as a request's header gives them: the cache keeps its own copy of each token.
// Claims decoded here, so that the Auths' claims objects count as the cache's.
tokens.forEach((token) => cache.set(`${token} `.trimEnd(), authFromClaims(jwt.decode(token), 'jwt'), 0));
gc();
const after = process.memoryUsage().heapUsed;
const megabytes = (after - before) / 1024 / 1024;
console.log(`Verified-token cache: ${cache.size.toLocaleString('en-US')} entries hold ${megabytes.toFixed(1)} MB of heap (${Math.round((after - before) / cache.size)} bytes each, the ${tokens[0]!.length}-character token included)`);
