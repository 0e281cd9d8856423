/**
 * Generates an answer with a Bedrock Agent alias through Bedrock Agent Runtime `InvokeAgent`, in a session
 * the caller names (the agent keeps the session's memory itself), handing each text delta on as it arrives.
 *
 * `streamingConfigurations.streamFinalResponse` makes the service send the final answer in pieces as it is
 * generated (without it, one `chunk` at the end); each `chunk.bytes` is UTF-8, decoded with a streaming
 * decoder because a piece may end inside a multi-byte character.
 *
 * | Upstream                                                                  | Status | Code                   |
 * |---------------------------------------------------------------------------|--------|------------------------|
 * | AccessDeniedException                                                     | 403    | agent_access_denied    |
 * | ResourceNotFoundException                                                 | 404    | agent_not_found        |
 * | ValidationException                                                       | 400    | agent_rejected_request |
 * | ConflictException (another request in the same session)                   | 409    | agent_session_busy     |
 * | ThrottlingException, ServiceQuotaExceededException                        | 429    | throttled              |
 * | DependencyFailedException, BadGatewayException, InternalServerException, `returnControl`, other service errors | 502 | upstream_error |
 * | ServiceUnavailableException, ModelNotReadyException, network errors       | 503    | upstream_unavailable   |
 * | SDK TimeoutError, our deadline                                            | 504    | upstream_timeout       |
 * | anything else (a bug)                                                     | 500    | internal_error         |
 */
import { InvokeAgentCommand, type InvokeAgentCommandOutput } from '@aws-sdk/client-bedrock-agent-runtime';
import { ChatError } from '../http/errors';
import { deniedPermission, mapUpstreamError, RedactedUpstreamError, settleFailure, throttled, upstreamError, upstreamUnavailable } from './errors';

/** The one Agent Runtime operation the chat runtime needs (the real `BedrockAgentRuntimeClient` satisfies it). */
export interface InvokeAgentClient {
  send(command: InvokeAgentCommand, options?: { abortSignal?: AbortSignal }): Promise<InvokeAgentCommandOutput>;
}

export interface AgentTarget {
  readonly agentId: string;
  readonly agentAliasId: string;
  readonly region: string;
}

export interface AgentInput {
  readonly target: AgentTarget;
  readonly sessionId: string;
  readonly inputText: string;
}

/** The agent asked the caller to run an action (return of control): this function cannot. */
export class ReturnOfControlError extends Error {
  public readonly name = 'ReturnOfControlError';
}

export function buildInvokeAgentCommand(input: AgentInput): InvokeAgentCommand {
  return new InvokeAgentCommand({
    agentId: input.target.agentId,
    agentAliasId: input.target.agentAliasId,
    sessionId: input.sessionId,
    inputText: input.inputText,
    enableTrace: false,
    streamingConfigurations: { streamFinalResponse: true },
  });
}

export async function streamAgentAnswer(
  client: InvokeAgentClient,
  input: AgentInput,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const mapError = (error: unknown): ChatError => mapAgentError(error, input.target);
  const decoder = new TextDecoder('utf-8');
  try {
    const output = await client.send(buildInvokeAgentCommand(input), { abortSignal: signal });
    for await (const event of output.completion ?? []) {
      if (signal.aborted) break;
      if (event.chunk?.bytes) {
        const text = decoder.decode(event.chunk.bytes, { stream: true });
        if (text) onText(text);
      } else if (event.returnControl) {
        throw new ReturnOfControlError(
          'The agent returned control to the caller (an action group with RETURN_CONTROL), which this function does not support',
        );
      }
      // trace and files events carry no answer text.
    }
    if (!signal.aborted) {
      const rest = decoder.decode();
      if (rest) onText(rest);
    }
  } catch (error) {
    throw settleFailure(error, signal, mapError);
  }
  if (signal.aborted) throw settleFailure(undefined, signal, mapError);
}

export function mapAgentError(error: unknown, target: AgentTarget): ChatError {
  const agent = `agent ${target.agentId} (alias ${target.agentAliasId})`;
  return mapUpstreamError(error, {
    byName: (name, cause) => agentErrorByName(name, cause, agent, target),
    unavailable: (cause) => upstreamUnavailable(agent, cause),
    failed: (cause) => upstreamError(agent, cause),
  });
}

function agentErrorByName(name: string, error: Error, agent: string, target: AgentTarget): ChatError | undefined {
  switch (name) {
    case 'AccessDeniedException': {
      // AWS names the action and the exact ARN (with its account); without them, the alias ARN's shape.
      const denied = deniedPermission(error.message);
      return new ChatError(
        403,
        'agent_access_denied',
        `Access to the ${agent} was denied. Check that the identity calling Bedrock (the function role, or the role it assumes) ` +
          `may call ${denied.action ?? 'bedrock:InvokeAgent'} on ` +
          `${denied.resource ?? `the agent alias ARN arn:aws:bedrock:${target.region}:<account>:agent-alias/${target.agentId}/${target.agentAliasId}`}.`,
        {},
        error,
      );
    }
    case 'ResourceNotFoundException':
      return new ChatError(404, 'agent_not_found', `The ${agent} was not found in region ${target.region}.`, {}, error);
    case 'ValidationException':
      return new ChatError(
        400,
        'agent_rejected_request',
        `The ${agent} rejected the request. Shorten or rephrase the prompt.`,
        {},
        new RedactedUpstreamError(error),
      );
    case 'ConflictException':
      return new ChatError(
        409,
        'agent_session_busy',
        'Another prompt of this chat is still being answered. Try again when it has finished.',
        {},
        error,
      );
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
      return throttled(agent, error);
    case 'ServiceUnavailableException':
    case 'ModelNotReadyException':
      return upstreamUnavailable(agent, error);
    case 'TimeoutError':
    case 'DeadlineExceededError':
      return new ChatError(504, 'upstream_timeout', `The ${agent} did not answer in time. Try again.`, {}, error);
    case 'DependencyFailedException':
    case 'BadGatewayException':
    case 'InternalServerException':
    case 'ReturnOfControlError':
      return upstreamError(agent, error);
  }
  return undefined;
}
