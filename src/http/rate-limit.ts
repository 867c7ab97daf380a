/** The Workers rate-limiting binding's shape (`[[ratelimits]]` in wrangler.toml). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/**
 * A fixed-window limiter in memory, for Node servers and tests where the Workers binding does
 * not exist. Per process, so it bounds one server, not a fleet.
 */
export function memoryRateLimiter(options: { limit: number; periodSeconds: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { startedAt: number; count: number }>();
  return {
    async limit({ key }) {
      const at = now();
      const window = windows.get(key);
      if (!window || at - window.startedAt >= options.periodSeconds * 1000) {
        if (windows.size > 10_000) windows.clear();
        windows.set(key, { startedAt: at, count: 1 });
        return { success: true };
      }
      window.count += 1;
      return { success: window.count <= options.limit };
    },
  };
}
