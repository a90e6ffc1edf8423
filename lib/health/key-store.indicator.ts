import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { KeyStore } from '../keys/key-store.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';

/**
 * The key store as a terminus health indicator: down when the token strategies have no public key
 * to verify with; degraded (still 200) while changed key files cannot be loaded and the previous
 * keys serve on.
 */
@Injectable()
export class KeyStoreHealthIndicator {
  private readonly needsPublicKeys: boolean;
  /** Key counts are told only when the health check asks for credentials. */
  private readonly detailed: boolean;

  constructor(
    private readonly keys: KeyStore,
    private readonly indicators: HealthIndicatorService,
    @Inject(MICROKUBES_OPTIONS) options: ResolvedMicrokubesOptions,
  ) {
    const { jwt, oauth2 } = options.security;
    this.needsPublicKeys = !options.security.disabled && (jwt !== undefined || (oauth2 !== undefined && oauth2.jwksUri === undefined));
    this.detailed = options.endpoints.healthCheck?.public === false;
  }

  check(key = 'keys'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    const { reloadError, ...counts } = this.keys.status();
    const shown = this.detailed ? counts : {};
    if (this.needsPublicKeys && counts.public === 0) {
      return indicator.down({ ...shown, message: 'no public key is loaded: tokens cannot be verified' });
    }
    // The reason (with file names) is in the log, not in the answer.
    if (reloadError) return indicator.degraded({ ...shown, message: 'the key files changed but cannot be loaded: the previous keys are in use' });
    return indicator.up(shown);
  }
}
