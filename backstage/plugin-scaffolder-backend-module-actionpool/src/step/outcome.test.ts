import type { Run } from '../pool/types';
import { settle } from './outcome';

function run(fields: Partial<Run>): Run {
  return {
    id: 'r1',
    actionId: 'a:b',
    status: 'completed',
    output: null,
    error: null,
    attempt: 1,
    maxAttempts: 3,
    links: { self: '/v1/runs/r1', events: '/v1/runs/r1/events' },
    ...fields,
  };
}

describe('settle', () => {
  it("gives a completed run's output as the step's output", () => {
    const output = jest.fn();
    settle(run({ output: { a: 1, b: 'x' } }), false, output);
    expect(output.mock.calls).toEqual([
      ['a', 1],
      ['b', 'x'],
    ]);
  });

  it("throws a failed run's error, naming the run", () => {
    const failed = run({
      status: 'failed',
      error: { name: 'BoomError', message: 'boom' },
    });
    expect(() => settle(failed, false, jest.fn())).toThrow(
      expect.objectContaining({
        name: 'BoomError',
        message: 'boom (actionpool run r1)',
      }),
    );
  });

  it('throws CancelledError for a cancelled task, even when the run completed first', () => {
    const output = jest.fn();
    expect(() => settle(run({ output: { a: 1 } }), true, output)).toThrow(
      expect.objectContaining({ name: 'CancelledError' }),
    );
    expect(() => settle(run({ status: 'cancelled' }), true, output)).toThrow(
      expect.objectContaining({ name: 'CancelledError' }),
    );
    expect(output).not.toHaveBeenCalled();
  });
});
