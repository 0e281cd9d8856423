/**
 * The Bedrock Agent alias that answers, read once at init: `AGENT_ID` and `AGENT_ALIAS_ID`, and whether a caller may
 * name another (`AGENT_CALLER_CHOICE`, the agent-chat mode only).
 */
import { ENV } from '../../../contract/env';
import { AGENT_RESOURCE_ID } from '../../../contract/patterns';
import { type Env, problemTracker, type ReportProblem } from '../core/config';

export interface AgentConfig {
  readonly agentId: string;
  readonly agentAliasId: string;
}

/** The agent alias; undefined when a variable is bad (and reported). */
export function readAgentConfig(env: Env, report: ReportProblem): AgentConfig | undefined {
  const tracker = problemTracker(report);
  const agentId = env[ENV.agentId];
  if (agentId === undefined || !AGENT_RESOURCE_ID.test(agentId)) tracker.bad(ENV.agentId, 'a Bedrock agent id (1-10 of A-Z a-z 0-9)');
  const agentAliasId = env[ENV.agentAliasId];
  if (agentAliasId === undefined || !AGENT_RESOURCE_ID.test(agentAliasId)) {
    tracker.bad(ENV.agentAliasId, 'a Bedrock agent alias id (1-10 of A-Z a-z 0-9; TSTALIASID is the draft alias)');
  }
  if (!tracker.valid || agentId === undefined || agentAliasId === undefined) return undefined;
  return { agentId, agentAliasId };
}

/** The agents of the agent-chat mode: the configured alias (the default), and whether a caller may name its own. */
export interface AgentChoice {
  /** Unset only when callers choose: each request must then name one. */
  readonly defaultAgent?: AgentConfig;
  readonly callerChoice: boolean;
}

/** `AGENT_CALLER_CHOICE` and the optional default alias; undefined when a variable is bad (and reported). */
export function readAgentChoice(env: Env, report: ReportProblem): AgentChoice | undefined {
  const choice = env[ENV.agentCallerChoice] ?? 'false';
  if (choice !== 'true' && choice !== 'false') return report(ENV.agentCallerChoice, '"true" or "false", or unset');
  const callerChoice = choice === 'true';
  if (callerChoice && env[ENV.agentId] === undefined && env[ENV.agentAliasId] === undefined) return { callerChoice };
  const defaultAgent = readAgentConfig(env, report);
  return defaultAgent ? { defaultAgent, callerChoice } : undefined;
}
