import { HttpException } from '@nestjs/common';

/** A 401 or 403 in the platform's error format: `{ "code": <status>, "message": "<reason>" }`. */
export class SecurityException extends HttpException {
  constructor(status: 401 | 403, message: string) {
    super({ code: status, message }, status);
  }
}
