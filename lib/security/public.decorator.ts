import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'microkubes:public';

/**
 * Lets requests to a controller or route through without authentication. On a method it wins over
 * the class: `@Public(false)` secures one route of a public controller.
 */
export const Public = (isPublic = true) => SetMetadata(IS_PUBLIC_KEY, isPublic);
