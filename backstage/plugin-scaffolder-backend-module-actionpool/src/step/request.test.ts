import { createRunBody, forwardedSecrets, ownerOf } from './request';

const identity = { taskId: 't1', stepId: 's1' };

describe('the run request', () => {
  it("forwards the task's secrets except the scaffolder's own", () => {
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
});
