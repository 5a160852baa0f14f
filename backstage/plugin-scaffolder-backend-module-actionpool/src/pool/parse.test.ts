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
    // Given the documented run resource; When parsed; Then its fields are read
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
    // Given answers that are not what the API documents, When parsed, Then named by field
    expect(() => parseRun({ ...RUN, status: 'done' })).toThrow(
      new MalformedPoolResponseError(
        'run.status: expected one of open, processing, completed, failed, cancelled, got another string',
      ),
    );
    expect(() => parseActionList([{ id: 1 }])).toThrow(
      /actions\[0\]\.schema: expected an object/,
    );
    expect(() => parseRunEvent({ id: '1' })).toThrow(
      /event\.id: expected a number/,
    );
  });

  it('never puts what a field held into the error, only its type', () => {
    // Given a run whose fields hold the run's input where they should not
    const secret = 'hunter2-is-the-password';
    const cases: Array<[unknown, string]> = [
      [
        { ...RUN, output: secret },
        'run.output: expected an object, got a string',
      ],
      [
        { ...RUN, output: [secret] },
        'run.output: expected an object, got an array',
      ],
      [{ ...RUN, id: { secret } }, 'run.id: expected a string, got an object'],
      [
        { ...RUN, maxAttempts: null },
        'run.maxAttempts: expected a number, got null',
      ],
      [
        { ...RUN, actionId: undefined },
        'run.actionId: expected a string, got nothing',
      ],
      [
        { ...RUN, attempt: true },
        'run.attempt: expected a number, got a boolean',
      ],
    ];
    for (const [answer, message] of cases) {
      // When it is parsed, Then the error names the field and the type, never the text
      expect(() => parseRun(answer)).toThrow(
        new MalformedPoolResponseError(message),
      );
    }
  });

  it('reads an action listing entry', () => {
    // Given a documented listing entry; When parsed; Then its schema and examples are read
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
    // Given error bodies and other answers; When read; Then only Backstage's body is one
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
