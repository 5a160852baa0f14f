import { createRunBody, forwardedSecrets, ownerOf } from './request';

const identity = { taskId: 't1', stepId: 's1' };

describe('the run request', () => {
  it("forwards the task's secrets except the scaffolder's own", () => {
    // Given task secrets; When forwarded; Then the scaffolder's own are left out
    expect(
      forwardedSecrets({
        apiKey: 'k',
        backstageToken: 'b',
        __initiatorCredentials: 'c',
        _x: 'y',
      }),
    ).toEqual({ apiKey: 'k', _x: 'y' });
    expect(forwardedSecrets(undefined)).toEqual({});
  });

  it('takes the named owner, else the template annotation, else none', () => {
    // Given an owner named, annotated or neither; When chosen; Then in that order
    const annotated = {
      templateInfo: {
        entityRef: 'template:default/t',
        entity: {
          metadata: {
            annotations: { 'actionpool.io/owner': 'group:default/a' },
          },
        },
      },
    };
    expect(ownerOf('group:default/b', annotated)).toBe('group:default/b');
    expect(ownerOf(undefined, annotated)).toBe('group:default/a');
    expect(ownerOf(undefined, {})).toBeUndefined();
  });

  it('sends dry runs and leaves out what the task does not have', () => {
    // Given a dry run without template or user; When the request is made; Then it says
    // dryRun and has nothing undefined
    const body = createRunBody({
      identity,
      ctx: { isDryRun: true },
      input: { a: 1 },
      idempotencyKey: 't1:s1',
      owner: undefined,
    });
    expect(JSON.parse(JSON.stringify(body))).toEqual({
      input: { a: 1 },
      idempotencyKey: 't1:s1',
      context: { taskId: 't1', stepId: 's1' },
      secrets: {},
      dryRun: true,
    });
  });

  it("sends the user as ${{ user }} but no userRef: the pool takes the run's user from the token", () => {
    // Given a task whose user is known (a retry may be by another user than its creator)
    const user = { ref: 'user:default/jane', entity: { kind: 'User' } };
    // When the run's request is made
    const body = createRunBody({
      identity,
      ctx: { user },
      input: {},
      idempotencyKey: 't1:s1',
      owner: undefined,
    });
    // Then the context names no user, and the user travels as ref and entity
    expect(body.context).not.toHaveProperty('userRef');
    expect(body.user).toEqual(user);
  });
});
