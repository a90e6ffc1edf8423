import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { MicrokubesAuthGuard } from '../guards/microkubes-auth.guard.js';
import { callerOf } from '../transports/call-callers.js';
import { runInCall } from './current-call.js';
import { requestIdFor } from './request-id.js';

/**
 * Keeps the call being handled (its caller, as the guards left it, and its request id) for the
 * handler's whole async work, so that ServiceCalls finds it in `relay` mode. Registered for every
 * handler when `serviceCalls` is on; it runs after the guards.
 */
@Injectable()
export class CurrentCallInterceptor implements NestInterceptor {
  constructor(private readonly guard: MicrokubesAuthGuard) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const transport = await this.guard.transportFor(context);
    const call = { auth: transport && callerOf(context), requestId: requestIdFor(transport?.requestId(context)) };
    // next.handle() binds the handler to the async context it is called in: this one.
    return new Observable((subscriber) => runInCall(call, () => next.handle().subscribe(subscriber)));
  }
}
