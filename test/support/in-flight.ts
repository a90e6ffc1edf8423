/** Runs `call(n)` for n = 0 .. total - 1, `inFlight` at a time, as that many concurrent clients would. */
export async function inFlight(total: number, concurrency: number, call: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await call(next++);
    }),
  );
}
