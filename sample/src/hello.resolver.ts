import { UseGuards } from '@nestjs/common';
import { Query, Resolver, Subscription } from '@nestjs/graphql';
import { Auth, CurrentAuth, MicrokubesAuthGuard } from 'microkubes-nestjs';

/**
 * POST /graphql `{ hello }` with the same token as GET /hello; `subscription { greetings }` over
 * graphql-ws with the token in `connectionParams.authorization`. The ACL policy `hello-graphql`
 * of config/service-config.json allows both (`graphql:Query.hello`, `graphql:Subscription.greetings`).
 */
@Resolver()
@UseGuards(MicrokubesAuthGuard)
export class HelloResolver {
  @Query(() => String)
  hello(@CurrentAuth() auth: Auth): string {
    return `Hello ${auth.username} from NestJS service on Microkubes`;
  }

  /** A greeting a second, until the client leaves or its token expires (the connection is closed with 4401). */
  @Subscription(() => String, { resolve: (greeting: string) => greeting })
  async *greetings(@CurrentAuth() auth: Auth): AsyncIterableIterator<string> {
    for (let i = 1; ; i++) {
      yield `Hello ${auth.username}, #${i}`;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
