import 'reflect-metadata';
import { HttpModule } from '@nestjs/axios';
import { Controller, Get, Inject, Injectable, Req, UnauthorizedException, UseGuards, type CanActivate, type DynamicModule, type ExecutionContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthCheckService, HttpHealthIndicator, TerminusModule } from '@nestjs/terminus';
import session from 'express-session';
import jwt from 'jsonwebtoken';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import passport from 'passport';
import { join } from 'node:path';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { createClient } from 'redis';
import { Auth, CurrentAuth, MICROKUBES_AUTH, MicrokubesAuthGuard, MicrokubesModule, Public, type RedisClient } from '../lib/index.js';
import { thousandPolicies } from './acl-policies.js';
import { registerTelemetrySdk } from './telemetry-sdk.js';
import type { Adapter, Scenario } from './scenarios.js';

/** One app of the benchmark, in a process of its own: `node http-server.js <adapter> <app> <port> <keysDir>`. */
const [adapter, appKind, port, keysDir] = process.argv.slice(2) as [Adapter, Scenario['app'], string, string];

@Controller()
class UnsecuredController {
  @Get('hello')
  hello() {
    return { message: 'Hello from NestJS service on Microkubes' };
  }
}

@Controller()
@UseGuards(MicrokubesAuthGuard)
class SecuredController {
  @Get('hello')
  hello(@CurrentAuth() auth: Auth) {
    return { message: `Hello ${auth.username} from NestJS service on Microkubes` };
  }

  @Get('open')
  @Public()
  open() {
    return { message: 'Hello from NestJS service on Microkubes' };
  }
}

@Injectable()
class Greeter {
  constructor(@Inject(MICROKUBES_AUTH) private readonly auth: Auth) {}
  greet() {
    return { message: `Hello ${this.auth.username} from NestJS service on Microkubes` };
  }
}

@Controller('scoped')
@UseGuards(MicrokubesAuthGuard)
class ScopedController {
  constructor(private readonly greeter: Greeter) {}
  @Get()
  hello() {
    return this.greeter.greet();
  }
}

/** The way the NestJS docs teach it: passport-jwt with the PEM public key, AuthGuard('jwt'). */
@Injectable()
class DocsJwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: readFileSync(join(keysDir, 'default.pub'), 'utf8'),
      algorithms: ['RS512'],
    });
  }
  validate(payload: { userId: string; username: string }) {
    return { userId: payload.userId, username: payload.username };
  }
}

@Controller()
@UseGuards(AuthGuard('jwt'))
class BaselineController {
  @Get('hello')
  hello() {
    return { message: 'Hello from NestJS service on Microkubes' };
  }
}

const defaultKey = createPublicKey(readFileSync(join(keysDir, 'default.pub')));

/** What a plain guard writes without any library: one crypto.verify with a parsed key, JSON.parse, an `exp` check. */
@Injectable()
class PlainGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const [header, payload, signature] = (request.headers.authorization ?? '').slice('Bearer '.length).split('.');
    if (!header || !payload || !signature) throw new UnauthorizedException();
    if (!verify('sha512', Buffer.from(`${header}.${payload}`), defaultKey, Buffer.from(signature, 'base64url'))) throw new UnauthorizedException();
    let claims: { exp?: number; username?: string };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as typeof claims;
    } catch {
      throw new UnauthorizedException();
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw new UnauthorizedException();
    request.user = claims;
    return true;
  }
}

/** A ten-line guard of one's own on jsonwebtoken, with a parsed KeyObject. */
@Injectable()
class JsonwebtokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    try {
      request.user = jwt.verify((request.headers.authorization ?? '').slice('Bearer '.length), defaultKey, { algorithms: ['RS512'] });
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

/** GET /hello behind `guard`, greeting the claims it left on the request. */
function helloBehind(guard: Type<CanActivate>): Type {
  @Controller()
  class HelloBehindGuard {
    @Get('hello')
    @UseGuards(guard)
    hello(@Req() request: { user: { username: string } }) {
      return { message: `Hello ${request.user.username} from NestJS service on Microkubes` };
    }
  }
  return HelloBehindGuard;
}

/** The usual alternative for browser sessions: express-session (MemoryStore) + passport.session(). */
@Injectable()
class SessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ isAuthenticated(): boolean }>().isAuthenticated();
  }
}

interface SessionUser {
  userId: string;
  username: string;
  roles: string[];
}

@Controller()
class SessionController {
  /** Opens a session once, before the load (as the ACS would). */
  @Get('login')
  login(@Req() request: { login(user: SessionUser, done: (error?: unknown) => void): void }) {
    return new Promise((resolve, reject) =>
      request.login({ userId: 'user-1', username: 'user1@example.com', roles: ['user'] }, (error) => (error ? reject(error) : resolve({ ok: true }))),
    );
  }

  @Get('hello')
  @UseGuards(SessionGuard)
  hello(@Req() request: { user: SessionUser }) {
    return { message: `Hello ${request.user.username} from NestJS service on Microkubes` };
  }
}

/**
 * A stand-in for Kong's admin API, in this process, for the health checks: it answers every call
 * at once (registration's included), the cheapest Kong there can be.
 */
async function kongStandIn(): Promise<string> {
  const answer = JSON.stringify({ id: 'bench', data: [], version: '3.9.1' });
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
const kongUrl = appKind.startsWith('health') || appKind === 'terminus-ping' ? await kongStandIn() : '';
const gateway = { adminUrl: kongUrl, apiMode: 'services' as const, name: 'hello', paths: ['/hello'], host: 'hello.service.consul' };

/** The usual alternative: a terminus controller of one's own, pinging Kong's admin API on each check. */
@Controller()
class PingHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly http: HttpHealthIndicator,
  ) {}

  @Get('healthcheck')
  check() {
    return this.health.check([() => this.http.pingCheck('gateway', kongUrl)]);
  }
}

/** The revocation app's own Redis client, as a service makes it (the bench seeded that Redis). */
const revocationRedis = appKind === 'microkubes-revocation'
  ? ((await createClient({ url: process.env.BENCH_REDIS_URL }).connect()) as unknown as RedisClient)
  : undefined;

function microkubes(options: Parameters<typeof MicrokubesModule.forRoot>[0]): DynamicModule {
  return {
    module: class BenchModule {},
    imports: [MicrokubesModule.forRoot({ keysDir, watchKeys: false, ...options })],
    controllers: [SecuredController, ScopedController],
    providers: [Greeter],
  };
}

const apps: Record<Scenario['app'], () => DynamicModule> = {
  unsecured: () => ({ module: class UnsecuredModule {}, controllers: [UnsecuredController] }),
  microkubes: () => microkubes({}),
  'microkubes-no-cache': () => microkubes({ security: { tokenCache: false } }),
  'microkubes-no-firewall': () => microkubes({ security: { firewall: false } }),
  'microkubes-telemetry': () => microkubes({}),
  'microkubes-telemetry-false': () => microkubes({ telemetry: false }),
  'microkubes-revocation': () => microkubes({ security: { revocation: { redis: revocationRedis!, prefix: process.env.BENCH_REVOCATION_PREFIX } } }),
  acl: () => microkubes({ acl: { policies: thousandPolicies() } }),
  baseline: () => ({ module: class BaselineModule {}, imports: [PassportModule], controllers: [BaselineController], providers: [DocsJwtStrategy] }),
  'plain-guard': () => ({ module: class PlainGuardModule {}, controllers: [helloBehind(PlainGuard)], providers: [PlainGuard] }),
  'jsonwebtoken-guard': () => ({ module: class JsonwebtokenModule {}, controllers: [helloBehind(JsonwebtokenGuard)], providers: [JsonwebtokenGuard] }),
  // keysDir holds service.key/service.cert too; the bench seals the cookie with the same secret.
  saml: () =>
    microkubes({
      security: {
        saml: {
          entityId: `http://127.0.0.1:${port}/saml/metadata`,
          acsUrl: `http://127.0.0.1:${port}/saml/acs`,
          idpEntityId: 'http://idp.bench/saml/idp/metadata',
          idpSsoUrl: 'http://idp.bench/saml/idp/sso',
          idpCert: 'service.cert',
          session: { secret: process.env.BENCH_SAML_SECRET! },
        },
      },
    }),
  'express-session': () => ({ module: class SessionModule {}, controllers: [SessionController], providers: [SessionGuard] }),
  health: () => microkubes({ gateway }),
  'health-no-cache': () => microkubes({ gateway, healthCheck: { gatewayCacheTtl: 0 } }),
  'terminus-ping': () => ({
    module: class PingModule {},
    imports: [TerminusModule.forRoot({ logger: false }), HttpModule],
    controllers: [PingHealthController],
  }),
};

// As an app's main.ts does: the OpenTelemetry SDK registered before the app is created.
if (appKind === 'microkubes-telemetry') await registerTelemetrySdk();

const app = adapter === 'fastify'
  ? await NestFactory.create(apps[appKind](), new FastifyAdapter(), { logger: false })
  : await NestFactory.create(apps[appKind](), { logger: false });
if (appKind === 'express-session') {
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: SessionUser, done) => done(null, user));
  app.use(session({ secret: 'bench-session-secret-of-32-bytes!', resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
  app.use(passport.initialize());
  app.use(passport.session());
}
await app.listen(Number(port), '127.0.0.1');
process.stdout.write('READY\n');
// Exit cleanly on SIGTERM, so that `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
