/** The stored chats' settings, read once at init: `HISTORY_TABLE_NAME`, `HISTORY_TURNS`, `HISTORY_RETENTION_DAYS`. */
import { ENV } from '../../../contract/env';
import { LIMITS } from '../../../contract/limits';
import { type Env, integerIn, problemTracker, type ReportProblem, readTableName } from '../core/config';

export interface HistoryConfig {
  readonly tableName: string;
  /** How many latest stored turns go back to the model with a new prompt (0 to `LIMITS.maxHistoryTurns`). */
  readonly turns: number;
  /** Days an item is kept after its last write (the TTL attribute); undefined: until its owner deletes the chat. */
  readonly retentionDays?: number;
}

/** The history settings; undefined when one is bad (and reported). */
export function readHistoryConfig(env: Env, report: ReportProblem): HistoryConfig | undefined {
  const tracker = problemTracker(report);
  const tableName = readTableName(ENV.historyTable, env, tracker.bad);
  const turns = integerIn(ENV.historyTurns, env, 0, LIMITS.maxHistoryTurns, tracker.bad);
  const retentionDays =
    env[ENV.historyRetentionDays] === undefined
      ? undefined
      : integerIn(ENV.historyRetentionDays, env, 1, LIMITS.maxHistoryRetentionDays, tracker.bad);
  if (!tracker.valid || tableName === undefined || turns === undefined) return undefined;
  return { tableName, turns, retentionDays };
}
