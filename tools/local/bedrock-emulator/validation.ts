/**
 * Cheap request validation mirroring the real service's answers (messages copied from real responses).
 */
import type { ServiceError } from './faults';
import type { ConverseRequestBody } from './types';

const MODEL_ID_MAX_LENGTH = 2048;

/** Foundation model ids (`anthropic.claude-3-haiku-20240307-v1:0`) and system inference profiles (`us.` / `global.` …). */
const PLAIN_MODEL_ID = /^(?:[a-z]{2,6}(?:-[a-z]{2,5})?\.)?[a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*(?::[a-z0-9]+){0,2}$/;

/** Bedrock / SageMaker ARNs: foundation-model, inference-profile, application-inference-profile, provisioned-model, … */
const MODEL_ARN =
  /^arn:aws(?:-[a-z]+)*:(?:bedrock|sagemaker):[a-z0-9-]+:(?:\d{12})?:(?:foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model|custom-model-deployment|imported-model|prompt|default-prompt-router|prompt-router|endpoint|marketplace\/model-endpoint)\/[A-Za-z0-9.:_/-]+$/;

export function validationError(message: string): ServiceError {
  return { status: 400, type: 'ValidationException', message };
}

export const INVALID_MODEL_ID = validationError('The provided model identifier is invalid.');

export function isWellFormedModelId(modelId: string): boolean {
  return modelId.length > 0 && modelId.length <= MODEL_ID_MAX_LENGTH && (PLAIN_MODEL_ID.test(modelId) || MODEL_ARN.test(modelId));
}

/** A known-models entry matches the id itself or, for an ARN, its resource id (`…:inference-profile/<id>`). */
export function isKnownModel(modelId: string, knownModels: readonly string[] | undefined): boolean {
  if (!knownModels) return true;
  if (knownModels.includes(modelId)) return true;
  if (modelId.startsWith('arn:')) {
    const resource = modelId.split(':').slice(5).join(':');
    const slash = resource.indexOf('/');
    return slash >= 0 && knownModels.includes(resource.slice(slash + 1));
  }
  return false;
}

export function validateBody(body: ConverseRequestBody): ServiceError | undefined {
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0 || messages[0]?.role !== 'user') {
    return validationError('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
  }
  for (const [index, message] of messages.entries()) {
    if (message?.role !== 'user' && message?.role !== 'assistant') {
      return validationError(
        `1 validation error detected: Value '${String(message?.role)}' at 'messages.${index + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`,
      );
    }
    if (index > 0 && messages[index - 1]?.role === message.role) {
      return validationError(
        'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
      );
    }
    if (!Array.isArray(message.content) || message.content.length === 0) {
      return validationError(
        `The content field in the Message object at messages.${index} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    }
  }
  const maxTokens = body.inferenceConfig?.maxTokens;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
    return validationError(
      `1 validation error detected: Value '${String(maxTokens)}' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  return undefined;
}

/** Text of the last user message's text blocks and guarded text blocks (`guardContent`), in order. */
export function lastUserText(body: ConverseRequestBody): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'user') continue;
    const content = Array.isArray(message.content) ? message.content : [];
    return content
      .map((block) => (block && typeof block.text === 'string' ? block.text : guardedText(block)))
      .filter((text): text is string => text !== undefined)
      .join('\n');
  }
  return '';
}

/** The text of a `guardContent` block (`{ guardContent: { text: { text, qualifiers? } } }`), if it is one. */
export function guardedText(block: Record<string, unknown> | undefined): string | undefined {
  const guard = block?.guardContent as { text?: { text?: unknown } } | undefined;
  return typeof guard?.text?.text === 'string' ? guard.text.text : undefined;
}

/** Splits text into streamed pieces: each word with its trailing whitespace. Joining the pieces gives the text back. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}
