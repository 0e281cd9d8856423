/**
 * The usage budgets' settings, read once at init: `BUDGET_TOKENS_PER_DAY`, `BUDGET_COST_PER_DAY_USD` and
 * `BUDGET_FAIL_OPEN`. The cost is priced with the models' `CHAT_MODEL_PRICES` (bedrock/model-config.ts). Budgets
 * live in the rate-limit table, in the function's rate-limit namespace.
 */
import { ENV } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { type Env, positiveInteger, problemTracker, type ReportProblem } from '../core/config';

export interface BudgetConfig {
  /** Unset: no function-wide token budget. */
  readonly tokensPerDay?: number;
  /** Unset: no function-wide cost budget. */
  readonly costPerDayUsd?: number;
  readonly failOpen: boolean;
}

/** The budget settings (an empty configuration when none is set); undefined when one is bad (and reported). */
export function readBudgetConfig(env: Env, report: ReportProblem): BudgetConfig | undefined {
  const tracker = problemTracker(report);
  const { bad } = tracker;
  const tokensPerDay =
    env[ENV.budgetTokensPerDay] === undefined ? undefined : positiveInteger(ENV.budgetTokensPerDay, env, bad, LIMITS.maxTokensPerDay);
  const rawCost = env[ENV.budgetCostPerDayUsd];
  const costPerDayUsd = rawCost === undefined ? undefined : Number(rawCost);
  if (costPerDayUsd !== undefined && !(Number.isFinite(costPerDayUsd) && costPerDayUsd > 0 && costPerDayUsd <= LIMITS.maxUsd)) {
    bad(ENV.budgetCostPerDayUsd, `US dollars per day, more than 0 and at most ${LIMITS.maxUsd}`);
  }
  const failOpen = env[ENV.budgetFailOpen] ?? 'false';
  if (failOpen !== 'true' && failOpen !== 'false') bad(ENV.budgetFailOpen, '"true" or "false"');
  if (!tracker.valid) return undefined;
  return { tokensPerDay, costPerDayUsd, failOpen: failOpen === 'true' };
}
