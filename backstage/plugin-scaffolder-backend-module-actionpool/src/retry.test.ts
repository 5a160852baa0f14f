import { backoffDelay, parseRetryAfter, sleep } from './retry';

const policy = { initialDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

describe('backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 50].map(n => backoffDelay(policy, n))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it("waits at least the server's Retry-After, within its own cap", () => {
    expect(backoffDelay(policy, 1, 3000)).toBe(3000);
    expect(backoffDelay(policy, 4, 0)).toBe(800);
    expect(backoffDelay(policy, 1, 3_600_000)).toBe(5000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('sleeps until the signal aborts', async () => {
    const abort = new AbortController();
    const slept = sleep(60_000, abort.signal);
    abort.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
