import { App } from 'aws-cdk-lib';
import { parseStageConfigs } from '../config/stage-config';
import { ChatStage } from './chat-stage';

/** One `ChatStage` per entry of the `stages` context (validated first, so a bad key fails before any construct exists). */
export function addChatStages(app: App, stagesContext: unknown): ChatStage[] {
  return parseStageConfigs(stagesContext).map((config) => new ChatStage(app, config.name, { config }));
}
