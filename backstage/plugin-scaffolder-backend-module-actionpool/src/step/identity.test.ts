import {
  MissingStepIdError,
  checkpointKey,
  idempotencyKey,
  poolSafeKey,
  reportedKey,
  stepIdentityOf,
} from './identity';

describe('step identity', () => {
  const identity = { taskId: '6f1c', stepId: 'provision' };

  it('names the step by task and step id', () => {
    // Given one call of the action in a step execution (its own logger)
    const ctx = { task: { id: '6f1c' }, step: { id: 'provision' }, logger: {} };
    // When its identity is taken, Then it is the task and step, with no iteration
    expect(stepIdentityOf(ctx)).toEqual(identity);
  });

  it('counts the calls of one step execution as the iterations of an each step', () => {
    // Given two executions of an each step: each has its own logger, shared by its calls
    const first = { task: { id: 't' }, step: { id: 's' }, logger: {} };
    const retry = { ...first, logger: {} };
    // When the scaffolder calls the action once per item of each execution
    const calls = [first, first, first, retry, retry].map(stepIdentityOf);
    // Then the first call of an execution keeps the plain identity, later ones their index
    expect(calls.map(c => c.iteration)).toEqual([
      undefined,
      1,
      2,
      undefined,
      1,
    ]);
    expect(calls.map(c => idempotencyKey(c))).toEqual([
      't:s',
      't:s:each:1',
      't:s:each:2',
      't:s',
      't:s:each:1',
    ]);
    expect(calls.map(c => checkpointKey(c))).toEqual([
      'actionpool.run.v1',
      'actionpool.run.v1[1]',
      'actionpool.run.v1[2]',
      'actionpool.run.v1',
      'actionpool.run.v1[1]',
    ]);
  });

  it('refuses to run without a step id', () => {
    // Given a scaffolder that gives no step id, When the identity is taken, Then it refuses
    expect(() => stepIdentityOf({ task: { id: 't' }, logger: {} })).toThrow(
      MissingStepIdError,
    );
  });

  it('keys the first run by task and step, and each successor by the run before it', () => {
    // Given a step (and a later call of an each step), When keys are made, Then:
    expect(idempotencyKey(identity)).toBe('6f1c:provision');
    expect(idempotencyKey(identity, 'r1')).toBe('6f1c:provision:after:r1');
    expect(idempotencyKey({ ...identity, iteration: 2 }, 'r1')).toBe(
      '6f1c:provision:each:2:after:r1',
    );
  });

  it('keeps keys within what the pool accepts, stably', () => {
    // Given keys outside the pool's characters or length, When made safe, Then hashed stably
    const long = 'x'.repeat(300);
    expect(poolSafeKey('a:b@c/d+e=f-g.h_i')).toBe('a:b@c/d+e=f-g.h_i');
    expect(poolSafeKey('step with spaces')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(poolSafeKey(long)).toBe(poolSafeKey(long));
    expect(poolSafeKey(long)).not.toBe(poolSafeKey(`${long}y`));
    expect(idempotencyKey({ taskId: 't', stepId: 'é' })).toMatch(/^sha256:/);
  });

  it('keeps the run id under actionpool.run.v1, successors after their predecessor, and the report markers', () => {
    // Given a step (and a later call of an each step), When checkpoint keys are made, Then:
    expect(checkpointKey(identity)).toBe('actionpool.run.v1');
    expect(checkpointKey(identity, 'r1')).toBe('actionpool.run.v1.after.r1');
    expect(checkpointKey({ ...identity, iteration: 1 })).toBe(
      'actionpool.run.v1[1]',
    );
    expect(reportedKey(identity, 'r1')).toBe('actionpool.run.v1.reported.r1');
    expect(reportedKey({ ...identity, iteration: 1 }, 'r1')).toBe(
      'actionpool.run.v1[1].reported.r1',
    );
  });
});
