/** The Bedrock Agent alias that answers, read once at init: `AGENT_ID` and `AGENT_ALIAS_ID`. */
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
