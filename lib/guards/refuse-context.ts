import type { ExecutionContext, Logger } from '@nestjs/common';

/**
 * A context no transport of the module knows (a custom one), or whose call cannot be read:
 * refused, never passed, with a debug line, where Nest itself answers only "Forbidden resource".
 */
export function refuseContext(logger: Logger, context: ExecutionContext): false {
  logger.debug(
    `Refused a ${context.getType()} call to ${context.getClass().name}.${context.getHandler().name}: ` +
      'the module secures HTTP routes, GraphQL resolvers, WebSocket gateways and message handlers; mark it @Public() to let it through',
  );
  return false;
}
