export interface RetrySettings {
  attempts: number;
  initialDelay: number;
  maxDelay: number;
}

/**
 * Exponential backoff with full jitter: before retry n (from 1), a random wait of up to
 * min(maxDelay, initialDelay * 2^(n-1)), so that instances booting together spread their calls.
 */
export function backoffDelay(retry: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelay, settings.initialDelay * 2 ** (retry - 1));
  return Math.round(random() * ceiling);
}

/**
 * Calls `call` until it succeeds, `isRetryable` says no, the attempts are used up, or the next
 * wait would end past `deadlineAt` (epoch ms). Rejects with the last error.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  settings: RetrySettings,
  deadlineAt: number,
  onRetry: (error: unknown, attempt: number, delay: number) => void = () => {},
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error) || attempt >= settings.attempts) throw error;
      const delay = backoffDelay(attempt, settings, random);
      if (Date.now() + delay >= deadlineAt) throw error;
      onRetry(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
