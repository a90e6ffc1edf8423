import { SetMetadata } from '@nestjs/common';

export const ACL_ACTION_KEY = 'microkubes:acl-action';

/**
 * The action ACL policies judge a GraphQL field or a WebSocket message as, where the default does
 * not fit: `@AclAction('api:write')` on a message handler that changes state (messages are
 * `api:read` by default, as GraphQL queries; mutations are `api:write`). HTTP routes take theirs
 * from the method.
 */
export const AclAction = (action: 'api:read' | 'api:write' | (string & {})) => SetMetadata(ACL_ACTION_KEY, action);
