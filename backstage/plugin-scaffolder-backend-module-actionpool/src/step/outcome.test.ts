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
    // Given a completed run; When the step settles; Then each output key is a step output
    const output = jest.fn();
    settle(run({ output: { a: 1, b: 'x' } }), false, output);
    expect(output.mock.calls).toEqual([
      ['a', 1],
      ['b', 'x'],
    ]);
  });

  it("throws a failed run's error, naming the run", () => {
    // Given a failed run; When the step settles; Then it throws the run's error
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
    // Given a cancelled task; When its run completed or was cancelled; Then CancelledError
    const output = jest.fn();
    expect(() => settle(run({ output: { a: 1 } }), true, output)).toThrow(
      expect.objectContaining({ name: 'CancelledError' }),
    );
    expect(() => settle(run({ status: 'cancelled' }), true, output)).toThrow(
      expect.objectContaining({ name: 'CancelledError' }),
    );
    expect(output).not.toHaveBeenCalled();
  });

  it('says what happened and what to do when the run has not ended after its final event', () => {
    // Given a run the pool still reports processing after its terminal event
    const processing = run({ status: 'processing' });
    // When the step settles with it, Then it says so, and that a retry follows the same run
    expect(() => settle(processing, false, jest.fn())).toThrow(
      expect.objectContaining({
        name: 'RunNotEndedError',
        message: expect.stringContaining(
          'actionpool run r1 sent its final event, but the pool still reports it processing, ' +
            'so the step stopped without its result. Retry the task: the step follows the ' +
            'same run again (it does not start another)',
        ),
      }),
    );
  });
});
