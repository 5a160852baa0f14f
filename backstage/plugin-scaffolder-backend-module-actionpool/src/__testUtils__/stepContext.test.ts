import { Checkpoints } from './stepContext';

describe("the tests' checkpoints, as Backstage 1.45's scaffolder keeps them", () => {
  it('answers what the snapshot of its execution holds, without calling fn', async () => {
    // Given a task state holding a checkpoint
    const checkpoints = new Checkpoints();
    checkpoints.values.set('a', { runId: 'r1' });
    const fn = jest.fn(() => ({ runId: 'r2' }));
    // When an execution asks for it, Then it gets the stored value, and fn is not called
    await expect(checkpoints.forExecution()({ key: 'a', fn })).resolves.toEqual(
      { runId: 'r1' },
    );
    expect(fn).not.toHaveBeenCalled();
  });

  it('shows what an execution stores to later executions only', async () => {
    // Given an execution that stores a checkpoint
    const checkpoints = new Checkpoints();
    const execution = checkpoints.forExecution();
    await execution({ key: 'a', fn: () => ({ n: 1 }) });
    // When the same execution asks again, Then fn runs again and its value is stored
    await expect(
      execution({ key: 'a', fn: () => ({ n: 2 }) }),
    ).resolves.toEqual({ n: 2 });
    expect(checkpoints.values.get('a')).toEqual({ n: 2 });
    // When a later execution asks, Then it gets the last value stored
    const later = checkpoints.forExecution();
    await expect(later({ key: 'a', fn: () => ({ n: 3 }) })).resolves.toEqual({
      n: 2,
    });
  });

  it('stores a throwing fn as failed, which a later write replaces', async () => {
    // Given an execution whose fn throws
    const checkpoints = new Checkpoints();
    const execution = checkpoints.forExecution();
    await expect(
      execution({
        key: 'a',
        fn: () => {
          throw new Error('no');
        },
      }),
    ).rejects.toThrow('no');
    // Then nothing is stored as a success, and a later write in it lands
    expect(checkpoints.values.has('a')).toBe(false);
    expect(checkpoints.failed.get('a')).toBe('Error: no');
    await execution({ key: 'a', fn: () => ({ ok: true }) });
    expect(checkpoints.values.get('a')).toEqual({ ok: true });
    expect(checkpoints.failed.has('a')).toBe(false);
  });

  it('stores void as {}, and calls fn again for a stored value that is falsy', async () => {
    // Given stored values `{}` (from a void fn) and `false`
    const checkpoints = new Checkpoints();
    const first = checkpoints.forExecution();
    await first({ key: 'void', fn: () => undefined });
    await first({ key: 'false', fn: () => false });
    // When a later execution asks for them, Then `{}` is answered, `false` runs fn again
    const later = checkpoints.forExecution();
    const fn = jest.fn(() => true);
    await expect(later({ key: 'void', fn })).resolves.toEqual({});
    await expect(later({ key: 'false', fn })).resolves.toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
