import {
  MalformedPoolResponseError,
  errorOfBody,
  parseActionList,
  parseRun,
  parseRunEvent,
} from './parse';

const RUN = {
  id: '8d89',
  actionId: 'debug:sleep',
  status: 'completed',
  input: { seconds: 1 },
  output: { sleptS: 1.002 },
  error: null,
  attempt: 1,
  maxAttempts: 3,
  context: {
    templateRef: null,
    owner: null,
    taskId: null,
    stepId: null,
    userRef: null,
  },
  dryRun: false,
  queue: 'default',
  createdAt: '2026-11-26T09:45:21.635Z',
  attempts: [],
  links: { self: '/v1/runs/8d89', events: '/v1/runs/8d89/events' },
};

describe('parsing the pool answers', () => {
  it('reads the run resource as documented', () => {
    expect(parseRun(RUN)).toEqual({
      id: '8d89',
      actionId: 'debug:sleep',
      status: 'completed',
      output: { sleptS: 1.002 },
      error: null,
      attempt: 1,
      maxAttempts: 3,
      links: { self: '/v1/runs/8d89', events: '/v1/runs/8d89/events' },
    });
    expect(
      parseRun({
        ...RUN,
        status: 'failed',
        output: null,
        error: { name: 'E', message: 'm' },
      }).error,
    ).toEqual({
      name: 'E',
      message: 'm',
    });
  });

  it('names the field that is not what the API documents', () => {
    expect(() => parseRun({ ...RUN, status: 'done' })).toThrow(
      new MalformedPoolResponseError(
        'run.status: expected one of open, processing, completed, failed, cancelled, got "done"',
      ),
    );
    expect(() => parseActionList([{ id: 1 }])).toThrow(
      /actions\[0\]\.schema: expected an object/,
    );
    expect(() => parseRunEvent({ id: '1' })).toThrow(
      /event\.id: expected a number/,
    );
  });

  it('reads an action listing entry', () => {
    const [action] = parseActionList([
      {
        id: 'debug:sleep',
        description: 'Sleeps',
        examples: [{ description: 'd', example: '{}' }],
        schema: { input: { type: 'object' }, output: { type: 'object' } },
        supportsDryRun: true,
        timeoutS: 3660.0,
        softTimeoutS: 3294.0,
        maxAttempts: 3,
        queue: 'default',
      },
    ]);
    expect(action.schema.input).toEqual({ type: 'object' });
    expect(action.examples).toHaveLength(1);
  });

  it("reads Backstage's error body, and nothing else", () => {
    expect(
      errorOfBody({ error: { name: 'RunNotFoundError', message: 'No run' } }),
    ).toEqual({
      name: 'RunNotFoundError',
      message: 'No run',
    });
    expect(errorOfBody('<html>')).toBeUndefined();
    expect(errorOfBody({ detail: 'x' })).toBeUndefined();
  });
});
