import {
  MissingStepIdError,
  checkpointKey,
  idempotencyKey,
  poolSafeKey,
  stepIdentityOf,
} from './identity';

describe('step identity', () => {
  const identity = { taskId: '6f1c', stepId: 'provision' };

  it('names the step by task and step id, and the each key when there is one', () => {
    expect(
      stepIdentityOf({ task: { id: '6f1c' }, step: { id: 'provision' } }),
    ).toEqual(identity);
    expect(
      stepIdentityOf({
        task: { id: 't' },
        step: { id: 's' },
        each: { key: 'b', value: 1 },
      }),
    ).toEqual({ taskId: 't', stepId: 's', iteration: 'b' });
    expect(
      stepIdentityOf({
        task: { id: 't' },
        step: { id: 's' },
        each: { key: 0, value: 1 },
      }),
    ).toEqual({ taskId: 't', stepId: 's', iteration: '0' });
  });

  it('refuses to run without a step id', () => {
    expect(() => stepIdentityOf({ task: { id: 't' } })).toThrow(
      MissingStepIdError,
    );
  });

  it('keys the first run by task and step, and each successor by the run before it', () => {
    expect(idempotencyKey(identity)).toBe('6f1c:provision');
    expect(idempotencyKey(identity, 'r1')).toBe('6f1c:provision:after:r1');
    expect(idempotencyKey({ ...identity, iteration: 'a' }, 'r1')).toBe(
      '6f1c:provision:each:a:after:r1',
    );
  });

  it('keeps keys within what the pool accepts, stably', () => {
    const long = 'x'.repeat(300);
    expect(poolSafeKey('a:b@c/d+e=f-g.h_i')).toBe('a:b@c/d+e=f-g.h_i');
    expect(poolSafeKey('step with spaces')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(poolSafeKey(long)).toBe(poolSafeKey(long));
    expect(poolSafeKey(long)).not.toBe(poolSafeKey(`${long}y`));
    expect(idempotencyKey({ taskId: 't', stepId: 'é' })).toMatch(/^sha256:/);
  });

  it('keeps the run id under actionpool.run.v1, and successors after their predecessor', () => {
    expect(checkpointKey(identity)).toBe('actionpool.run.v1');
    expect(checkpointKey(identity, 'r1')).toBe('actionpool.run.v1.after.r1');
    expect(checkpointKey({ ...identity, iteration: 'a' })).toBe(
      'actionpool.run.v1[a]',
    );
  });
});
