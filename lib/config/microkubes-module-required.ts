/**
 * The guards get their parts (options, the security chain, the policies) from MicrokubesModule:
 * used where it is not imported, they fail start-up saying so, rather than with Nest's bare
 * "can't resolve dependencies".
 */
export function requireMicrokubesModule(user: string, parts: readonly unknown[]): void {
  if (parts.every((part) => part !== undefined)) return;
  throw new Error(
    `${user} needs MicrokubesModule: import MicrokubesModule.forRoot(), forRootAsync() or forServiceConfig() in the application's root module ` +
      '(it is global; with isGlobal: false, import it in each module whose controllers use its guards)',
  );
}
