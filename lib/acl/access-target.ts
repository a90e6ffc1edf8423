/** What a call reaches, as ACL policies judge it, whatever the transport: a resource, an action, facts. */
export interface AccessTarget {
  /** The judged path of an HTTP route, `graphql:Query.todos`, `ws:todos`; undefined when it cannot be told (denied). */
  resource: string | undefined;
  /** `api:read` or `api:write`. */
  action: string;
  /** Facts for OwnerCondition (an HTTP route's parameters, a resolver's arguments). */
  facts?: Readonly<Record<string, unknown>>;
  /**
   * Whether the caller chose which facts there are (a resolver's arguments, a message's body), not
   * a route: then an OwnerCondition whose fact is missing does not hold (leaving it out must not pass).
   */
  factsChosenByCaller?: boolean;
}
