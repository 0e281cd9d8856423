import {
  AccessDeniedException,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { DeadlineExceededError, IncompleteStreamError, mapBedrockError } from '../../../../lambdas/chat/bedrock/errors';
import { mapAgentError } from '../../../../lambdas/chat/bedrock/invoke-agent';
import { mapRetrievalError } from '../../../../lambdas/chat/bedrock/retrieve';
import { failureFields } from '../../../../lambdas/chat/core/invocation';
import { ChatError } from '../../../../lambdas/chat/http/errors';

const target = { alias: 'haiku', modelId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'eu-west-1' };
const $metadata = { httpStatusCode: 400 };
const agentTarget = { agentId: 'AGENT12345', agentAliasId: 'TSTALIASID', region: 'eu-west-1' };

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

function named(name: string, message = 'x'): Error {
  return Object.assign(new Error(message), { name });
}

const CASES: Array<[what: string, error: unknown, status: number, code: string]> = [
  ['AccessDeniedException', new AccessDeniedException({ message: 'no', $metadata }), 403, 'model_access_denied'],
  ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'no', $metadata }), 404, 'model_not_found'],
  [
    'ValidationException "model identifier is invalid"',
    new ValidationException({ message: 'The provided model identifier is invalid.', $metadata }),
    404,
    'model_not_found',
  ],
  [
    'other ValidationException',
    new ValidationException({ message: 'Input is too long for requested model.', $metadata }),
    400,
    'model_rejected_request',
  ],
  ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata }), 429, 'throttled'],
  ['ServiceQuotaExceededException', new ServiceQuotaExceededException({ message: 'quota', $metadata }), 429, 'throttled'],
  ['InternalServerException', new InternalServerException({ message: 'oops', $metadata }), 502, 'upstream_error'],
  ['ModelErrorException', new ModelErrorException({ message: 'oops', $metadata }), 502, 'upstream_error'],
  ['ModelStreamErrorException', new ModelStreamErrorException({ message: 'oops', $metadata }), 502, 'upstream_error'],
  ['a stream that ended without messageStop/metadata', new IncompleteStreamError('early end'), 502, 'upstream_error'],
  ['an unmodelled service error', Object.assign(named('SomethingNewException'), { $metadata }), 502, 'upstream_error'],
  ['ServiceUnavailableException', new ServiceUnavailableException({ message: 'down', $metadata }), 503, 'upstream_unavailable'],
  ['ModelNotReadyException', new ModelNotReadyException({ message: 'cold', $metadata }), 503, 'upstream_unavailable'],
  ['ECONNREFUSED', networkError('ECONNREFUSED'), 503, 'upstream_unavailable'],
  ['ECONNRESET', networkError('ECONNRESET'), 503, 'upstream_unavailable'],
  ['ENOTFOUND', networkError('ENOTFOUND'), 503, 'upstream_unavailable'],
  ['a network error the SDK wrapped', new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'), 503, 'upstream_unavailable'],
  ['an HTTP/2 session without response', new Error('Unexpected error: http2 request did not get a response'), 503, 'upstream_unavailable'],
  ['ModelTimeoutException', new ModelTimeoutException({ message: 'slow', $metadata }), 504, 'upstream_timeout'],
  ['the SDK TimeoutError', named('TimeoutError', 'Stream timed out because of no activity for 30000 ms'), 504, 'upstream_timeout'],
  ['our deadline', new DeadlineExceededError('late'), 504, 'upstream_timeout'],
  ['a stream exception event (union member name)', named('throttlingException'), 429, 'throttled'],
  ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')"), 500, 'internal_error'],
  ['a non-error', 'a string', 500, 'internal_error'],
];

describe('mapBedrockError', () => {
  test.each(CASES.map(([what, error, status, code]) => [what, status, code, error] as const))('%s → %i %s', (_what, status, code, error) => {
    const mapped = mapBedrockError(error, target);
    expect(mapped).toBeInstanceOf(ChatError);
    expect({ status: mapped.status, code: mapped.code }).toEqual({ status, code });
  });

  test('model_access_denied says what to do: enable model access for this region, or grant the role', () => {
    const { message } = mapBedrockError(new AccessDeniedException({ message: 'no', $metadata }), target);
    expect(message).toMatch(/Enable access to this model in the Amazon Bedrock console for region eu-west-1/);
    expect(message).toMatch(/bedrock:InvokeModelWithResponseStream on the model and inference-profile ARNs/);
  });

  test('model_access_denied passes on the action and the resource ARN AWS names as denied', () => {
    const aws =
      'User: arn:aws:sts::222222222222:assumed-role/CentralBedrock/bedrock-chat is not authorized to perform: bedrock:InvokeModelWithResponseStream ' +
      'on resource: arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0 because no identity-based policy allows it';
    const { message } = mapBedrockError(new AccessDeniedException({ message: aws, $metadata }), target);
    expect(message).toContain(
      'may call bedrock:InvokeModelWithResponseStream on arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0.',
    );
  });

  test('model_not_found names the model id and the region', () => {
    const { message } = mapBedrockError(new ResourceNotFoundException({ message: 'no', $metadata }), target);
    expect(message).toContain('global.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(message).toContain('eu-west-1');
  });

  test('the upstream error is kept as the cause (for the log), never in the message', () => {
    const upstream = new InternalServerException({ message: 'secret internals at line 42', $metadata });
    const mapped = mapBedrockError(upstream, target);
    expect(mapped.cause).toBe(upstream);
    expect(mapped.message).not.toContain('internals');
  });

  test('a ChatError passes through unchanged', () => {
    const error = new ChatError(400, 'invalid_body', 'x');
    expect(mapBedrockError(error, target)).toBe(error);
  });
});

describe('validation messages never reach a log line (they may echo the input)', () => {
  const echoed = 'Malformed input request: "my secret prompt about the merger" is not valid';

  test.each([
    ['the model', () => mapBedrockError(new ValidationException({ message: echoed, $metadata }), target)],
    [
      'the model (unknown id)',
      () => mapBedrockError(new ValidationException({ message: `The provided model identifier is invalid. ${echoed}`, $metadata }), target),
    ],
    ['the agent', () => mapAgentError(Object.assign(new Error(echoed), { name: 'ValidationException', $metadata }), agentTarget)],
    [
      'the knowledge base',
      () =>
        mapRetrievalError(Object.assign(new Error(echoed), { name: 'ValidationException', $metadata }), {
          knowledgeBaseId: 'KB12345678',
          region: 'eu-west-1',
        }),
    ],
  ])('%s: the logged cause keeps the name and status, never the message', (_what, map) => {
    const mapped = map();
    const fields = failureFields(mapped);
    expect(fields).toMatchObject({ errorName: 'ValidationException', upstreamStatus: 400 });
    expect(JSON.stringify(fields)).not.toContain('merger');
    expect(mapped.message).not.toContain('merger');
  });
});
