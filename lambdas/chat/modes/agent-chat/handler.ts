/**
 * The agent-chat handler (caller-sent messages answered by a Bedrock Agent, no stored chats): event → (address
 * count) → authenticate → method → rate limit → body → validate (agent choice) → credentials → InvokeAgent & stream.
 *
 * The order is model-chat's (modes/model-chat/handler.ts): every POST is counted before its body is read. The agent
 * and the caller's credentials are checked before any client exists, so a bad region or a refused agent choice costs
 * no outbound call.
 *
 * The agent keeps a session's memory itself. The session it is given is derived from the caller, the credentials and
 * the caller's `sessionId` (a SHA-256 of them), so two callers can never continue each other's session by sending
 * the same id.
 */
import { createHash } from 'node:crypto';
import type { ClientSource } from '../../access/client-source';
import type { Authenticator } from '../../auth/authenticator';
import type { Caller } from '../../auth/caller';
import { type AgentTarget, type InvokeAgentClient, streamAgentAnswer } from '../../bedrock/invoke-agent';
import { createInvocationHandler, type InvocationOptions, type StreamHandler } from '../../core/invocation';
import { answerDiagnostics, answerHealth, credentialChecks, isDiagnostics, isHealthCheck, leaseAll } from '../../diagnostics/diagnostics';
import { assertPost, readJsonBody } from '../../http/event';
import { limitAddress, limitCaller, type UpdateItemClient } from '../../limits/rate-limiter';
import { codePointLength } from '../../prompt/sanitise';
import type { AgentChatConfig } from './config';
import { validateAgentChatRequest } from './request';

export interface AgentChatDependencies extends InvocationOptions {
  readonly config: AgentChatConfig;
  readonly authenticator: Authenticator;
  /** Agent Runtime, as the deployment's access mode gives it (the function's role, an assumed role, the caller's credentials). */
  readonly agents: ClientSource<InvokeAgentClient>;
  readonly dynamo: UpdateItemClient;
}

/**
 * The session id InvokeAgent sees: the caller's own, scoped to the caller and (with caller credentials) to the
 * credentials, so callers behind one address (a public URL's caller) never share a session either.
 */
export function agentSessionId(caller: Caller, credentialsKey: string | undefined, sessionId: string): string {
  return createHash('sha256')
    .update(`${caller.keyHash}:${credentialsKey ?? ''}:${sessionId}`)
    .digest('hex');
}

export function createAgentChatHandler(deps: AgentChatDependencies): StreamHandler {
  const { config, authenticator, agents, dynamo } = deps;

  return createInvocationHandler('text', deps, async (invocation) => {
    const { event, response, facts, signal, now, startedAt } = invocation;
    if (isHealthCheck(event)) return answerHealth(invocation);
    await limitAddress(invocation, dynamo, config.rateLimit);
    const caller = await authenticator.authenticate(event);
    assertPost(event);
    await limitCaller(invocation, dynamo, config.rateLimit, caller);

    const body = readJsonBody(event);
    if (isDiagnostics(event)) return diagnose(body);
    const request = validateAgentChatRequest(body, config.agents);
    Object.assign(facts, { agentChosenByCaller: request.agent !== config.agents.defaultAgent, messageChars: codePointLength(request.message) });
    const lease = agents.forRequest(body);
    const target: AgentTarget = { ...request.agent, region: lease.region };
    try {
      await streamAgentAnswer(
        lease.client,
        { target, sessionId: agentSessionId(caller, lease.credentialsKey, request.sessionId), inputText: request.message },
        (text) => {
          facts.timeToFirstTokenMs ??= now() - startedAt;
          response.text(text);
        },
        signal,
      );
    } finally {
      lease.release();
    }
    response.done({ sessionId: request.sessionId });

    /** Credentials (a caller's, or the assumed role's), then one short turn of the agent in a session of its own. */
    async function diagnose(requestBody: unknown): Promise<void> {
      const leased = leaseAll({ agents }, requestBody);
      if (!('leases' in leased)) return answerDiagnostics(invocation, leased);
      const { client, region } = leased.leases.agents;
      let agent: { agentId: string; agentAliasId: string };
      try {
        agent = validateAgentChatRequest({ ...(requestBody as object), message: 'Say OK.' }, config.agents).agent;
      } catch (error) {
        leased.release();
        throw error;
      }
      try {
        return await answerDiagnostics(invocation, [
          ...credentialChecks(agents),
          {
            name: 'agent',
            run: (checkSignal) =>
              streamAgentAnswer(
                client,
                {
                  target: { ...agent, region },
                  sessionId: agentSessionId(caller, leased.leases.agents.credentialsKey, `diagnostics-${now()}`),
                  inputText: 'Say OK.',
                },
                () => undefined,
                checkSignal,
              ),
          },
        ]);
      } finally {
        leased.release();
      }
    }
  });
}
