import { Controller, HttpCode, NotImplementedException, Post, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MicrokubesAuthGuard, TokenRevocations } from 'microkubes-nestjs';

/**
 * Logout, on every replica: POST /session/logout refuses the caller's token from now on,
 * POST /session/logout-everywhere every token of the caller issued up to now.
 */
@Controller('session')
@UseGuards(MicrokubesAuthGuard)
export class SessionController {
  constructor(private readonly revocations: TokenRevocations) {}

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentAuth() auth: Auth): Promise<void> {
    await this.enabled().revokeToken(auth);
  }

  @Post('logout-everywhere')
  @HttpCode(204)
  async logoutEverywhere(@CurrentAuth() auth: Auth): Promise<void> {
    await this.enabled().revokeSubject(auth.userId);
  }

  private enabled(): TokenRevocations {
    if (!this.revocations.enabled) throw new NotImplementedException('token revocation is off: start the sample with REVOCATION_REDIS_URL');
    return this.revocations;
  }
}
