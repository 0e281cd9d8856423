/**
 * The environment of the agent-chat mode (caller-sent messages answered by a Bedrock Agent; bundle `agent-chat`),
 * read and checked once at init: the agent (`AGENT_ID`, `AGENT_ALIAS_ID`, `AGENT_CALLER_CHOICE`), `AWS_REGION`, the
 * rate limit (`RATE_LIMIT_*`), how callers authenticate (`CHAT_AUTH_MODE`: any method) and whose credentials call
 * Bedrock (`BEDROCK_ACCESS`). A caller may name an agent only with its own credentials: any other identity would
 * need `bedrock:InvokeAgent` on every alias of the account.
 */
import { BEDROCK_ACCESS_MODES, ENV } from '../../../../contract/env';
import { type AccessConfig, readAccessConfig } from '../../access/config';
import { type AuthConfig, readAuthConfig } from '../../auth/config';
import { type AgentChoice, readAgentChoice } from '../../bedrock/agent-config';
import { type Env, loadConfig, readRegion } from '../../core/config';
import { type RateLimitConfig, readRateLimitConfig } from '../../limits/config';

export interface AgentChatConfig {
  readonly agents: AgentChoice;
  readonly region: string;
  readonly rateLimit: RateLimitConfig;
  readonly auth: AuthConfig;
  readonly access: AccessConfig;
}

export function loadAgentChatConfig(env: Env): AgentChatConfig {
  return loadConfig(env, (bad) => {
    const agents = readAgentChoice(env, bad);
    const region = readRegion(env, bad);
    const rateLimit = readRateLimitConfig(env, bad);
    const auth = readAuthConfig(env, bad);
    const access = readAccessConfig(env, bad);
    if (agents?.callerChoice && access && access.mode !== BEDROCK_ACCESS_MODES.callerCredentials) {
      return bad(
        ENV.agentCallerChoice,
        `"false" unless ${ENV.bedrockAccess}=${BEDROCK_ACCESS_MODES.callerCredentials} (a caller may name an agent only with its own credentials)`,
      );
    }
    if (!agents || !region || !rateLimit || !auth || !access) return undefined;
    return { agents, region, rateLimit, auth, access };
  });
}
