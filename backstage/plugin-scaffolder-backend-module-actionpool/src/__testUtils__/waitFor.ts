/** Resolves once `condition` holds (checked every few ms); rejects after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  what = 'the condition',
  timeoutMs = 4000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
