// microkubes-nestjs/testing: the testing kit. Nothing here is reachable from the main entry point.
export { MicrokubesTestingKit, TEST_USER, type RefusedToken, type TestCaller, type TestingNetwork } from './microkubes-testing-kit.js';
export { platformKeys, platformKeysDir, rsaKeyPair, samlKeyPair, type PlatformKeys, type PlatformKeysDir, type RsaKeyPair, type SamlKeyPair } from './platform-keys.js';
export { selfSignedCertificate } from './self-signed-certificate.js';
export {
  authServerToken, b64url, badTokens, jwtIssuerToken, rawToken, signClaims, signRaw, systemToken, type OAuth2Grant, type PlatformUser,
} from './platform-tokens.js';
export {
  cookieOf, LoginBrowsers, postResponse, readLoginRedirect, sessionCookieName, TestIdentityProvider,
  type AuthnRequestSeen, type ResponseFields, type TestIdentityProviderOptions,
} from './saml-identity-provider.js';
export { KongAdminEmulator, type KongEmulatorOptions, type RecordedCall } from './kong-admin-emulator.js';
export type { Kong3State } from './kong/kong-3x.js';
export type { Kong014State } from './kong/kong-014.js';
export type { JsonObject, KongHandler, KongReply, KongRequest, KongRoute } from './kong/kong-http.js';
