import { Injectable, NotFoundException, type PipeTransform } from '@nestjs/common';

/**
 * A todo id in its one spelling (`13`; not `013`, `+13`, `13.0`, `0x0d` or `13 `), else 404.
 * The ACL policies judge the path as text, as the platform's do: `todo-13-is-sealed` denies
 * `/todos/13`, and a handler that read `/todos/013` with `Number(id)` would serve todo 13 to
 * whoever `/todos/<[0-9]+>` lets through. Parsing only the canonical spelling keeps the deny true.
 */
@Injectable()
export class TodoIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^(?:0|[1-9][0-9]{0,8})$/.test(value)) throw new NotFoundException({ code: 404, message: 'no such todo' });
    return Number(value);
  }
}
