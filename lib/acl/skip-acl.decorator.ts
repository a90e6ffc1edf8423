import { SetMetadata } from '@nestjs/common';

export const SKIP_ACL_KEY = 'microkubes:skip-acl';

/** Leaves a route (or a controller) out of the ACL policy check; authentication still applies. */
export const SkipAcl = (skip = true) => SetMetadata(SKIP_ACL_KEY, skip);
