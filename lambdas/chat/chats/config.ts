/** The stored chats' settings, read once at init: `HISTORY_TABLE_NAME` and `HISTORY_TURNS`. */
import { ENV } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { type Env, integerIn, problemTracker, type ReportProblem, readTableName } from '../core/config';

export interface HistoryConfig {
  readonly tableName: string;
  /** How many latest stored turns go back to the model with a new prompt (0 to `LIMITS.maxHistoryTurns`). */
  readonly turns: number;
}

/** The history settings; undefined when one is bad (and reported). */
export function readHistoryConfig(env: Env, report: ReportProblem): HistoryConfig | undefined {
  const tracker = problemTracker(report);
  const tableName = readTableName(ENV.historyTable, env, tracker.bad);
  const turns = integerIn(ENV.historyTurns, env, 0, LIMITS.maxHistoryTurns, tracker.bad);
  if (!tracker.valid || tableName === undefined || turns === undefined) return undefined;
  return { tableName, turns };
}
