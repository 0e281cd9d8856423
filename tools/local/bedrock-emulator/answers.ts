/**
 * What the emulator answers beyond plain text, as the real Converse API shapes it:
 * - tool use: `toolConfig.tools` and `toolChoice` (`auto`, `any`, `tool`) give `toolUse` blocks and
 *   `stopReason: tool_use`; a user turn with `toolResult` blocks gets a text answer that quotes the result;
 * - image blocks (`{ image: { format, source: { bytes } } }`): checked, counted, named in the default answer;
 * - prompt caching: `cachePoint` blocks make the prefix before the last one a cache entry per model, written on
 *   first use (`cacheWriteInputTokens`) and read afterwards (`cacheReadInputTokens`); `inputTokens` then counts
 *   only what follows the cache point, as Bedrock reports it;
 * - structured output (`outputConfig.textFormat` `json_schema`): the answer is a JSON instance of the schema.
 *
 * The decisions are deterministic, so tests can predict them: with `auto`, the first tool whose name appears in
 * the last user text is called; with `any`, the first tool; with `tool`, that tool. A tool's input is built from
 * its JSON schema's required properties (strings get the last user text, numbers 1, booleans true).
 */
import { createHash } from 'node:crypto';
import type { ServiceError } from './faults';
import type { AnswerContext, ConverseRequestBody, EmulatorAnswer, EmulatorToolCall } from './types';
import { guardedText, validationError } from './validation';

/** Image formats Converse accepts in an image block. */
export const IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp'] as const;
/** Bedrock's per-image size limit (3.75 MB). */
export const MAX_IMAGE_BYTES = 3_750_000;
/** What an image counts as in the emulator's input-token estimate. */
export const IMAGE_TOKENS = 1_000;

type Block = Record<string, unknown>;

interface ToolSpec {
  name: string;
  schema: Record<string, unknown> | undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function blocksOf(value: unknown): Block[] {
  return Array.isArray(value) ? value.filter((b): b is Block => asRecord(b) !== undefined) : [];
}

/** The tools of `toolConfig`, in order. */
export function toolSpecs(body: ConverseRequestBody): ToolSpec[] {
  const tools = blocksOf(asRecord(body.toolConfig)?.tools);
  return tools.flatMap((tool) => {
    const spec = asRecord(tool.toolSpec);
    if (!spec || typeof spec.name !== 'string') return [];
    return [{ name: spec.name, schema: asRecord(asRecord(spec.inputSchema)?.json) }];
  });
}

/** Checks tool use, tool results and images the way the service does; the first problem found, if any. */
export function validateContent(body: ConverseRequestBody): ServiceError | undefined {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const toolConfig = asRecord(body.toolConfig);
  const tools = toolSpecs(body);
  if (toolConfig !== undefined && tools.length === 0) {
    return validationError('The toolConfig field must define at least one tool. Add a tool to the toolConfig field and try again.');
  }
  const choice = asRecord(toolConfig?.toolChoice);
  const named = asRecord(choice?.tool)?.name;
  if (typeof named === 'string' && !tools.some((t) => t.name === named)) {
    return validationError(`The tool ${named} specified in toolChoice is not defined in toolConfig.tools.`);
  }
  let pendingToolUseIds: string[] = [];
  for (const [index, message] of messages.entries()) {
    const content = blocksOf(message?.content);
    const toolUses = content.flatMap((b) => (asRecord(b.toolUse) ? [asRecord(b.toolUse) as Block] : []));
    const toolResults = content.flatMap((b) => (asRecord(b.toolResult) ? [asRecord(b.toolResult) as Block] : []));
    if ((toolUses.length > 0 || toolResults.length > 0) && toolConfig === undefined) {
      return validationError('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
    }
    if (message?.role === 'user' && pendingToolUseIds.length > 0) {
      const found = toolResults.map((r) => String(r.toolUseId));
      if (pendingToolUseIds.some((id) => !found.includes(id))) {
        return validationError(
          `Expected toolResult blocks at messages.${index}.content for the following Ids: ${pendingToolUseIds.join(', ')}, but found: ${found.join(', ')}`,
        );
      }
    }
    if (message?.role === 'user' && pendingToolUseIds.length === 0 && toolResults.length > 0) {
      return validationError(
        `messages.${index}.content has toolResult blocks for Ids ${toolResults.map((r) => String(r.toolUseId)).join(', ')}, but the previous assistant message has no toolUse blocks with those Ids.`,
      );
    }
    pendingToolUseIds = message?.role === 'assistant' ? toolUses.map((u) => String(u.toolUseId)) : [];
    for (const [blockIndex, block] of content.entries()) {
      const image = asRecord(block.image);
      if (!image) continue;
      const at = `messages.${index + 1}.member.content.${blockIndex + 1}.member.image`;
      if (!IMAGE_FORMATS.includes(image.format as (typeof IMAGE_FORMATS)[number])) {
        return validationError(
          `1 validation error detected: Value '${String(image.format)}' at '${at}.format' failed to satisfy constraint: Member must satisfy enum value set: [${IMAGE_FORMATS.join(', ')}]`,
        );
      }
      const bytes = asRecord(image.source)?.bytes;
      if (typeof bytes !== 'string' || bytes.length === 0) {
        return validationError(`The image at ${at} has no source bytes. Add the image bytes and try again.`);
      }
      if (Buffer.from(bytes, 'base64').byteLength > MAX_IMAGE_BYTES) {
        return validationError(`The image at ${at} exceeds the maximum size of ${MAX_IMAGE_BYTES} bytes.`);
      }
    }
  }
  return undefined;
}

/** The image blocks of the last user message: format and decoded size. */
export function lastUserImages(body: ConverseRequestBody): Array<{ format: string; bytes: number }> {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m?.role === 'user');
  return blocksOf(last?.content).flatMap((block) => {
    const image = asRecord(block.image);
    const bytes = asRecord(image?.source)?.bytes;
    return image && typeof bytes === 'string' ? [{ format: String(image.format), bytes: Buffer.from(bytes, 'base64').byteLength }] : [];
  });
}

/** The `toolResult` blocks of the last user message, each with its text. */
export function lastToolResults(body: ConverseRequestBody): Array<{ toolUseId: string; text: string }> {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const last = messages[messages.length - 1];
  if (last?.role !== 'user') return [];
  return blocksOf(last.content).flatMap((block) => {
    const result = asRecord(block.toolResult);
    if (!result) return [];
    const text = blocksOf(result.content)
      .map((part) => (typeof part.text === 'string' ? part.text : part.json !== undefined ? JSON.stringify(part.json) : ''))
      .join(' ');
    return [{ toolUseId: String(result.toolUseId), text }];
  });
}

/** The tool calls the emulator makes for this request (none when it answers with text). */
export function chooseToolCalls(context: AnswerContext): EmulatorToolCall[] {
  const { body } = context;
  const tools = toolSpecs(body);
  if (tools.length === 0 || lastToolResults(body).length > 0) return [];
  const choice = asRecord(asRecord(body.toolConfig)?.toolChoice);
  const named = asRecord(choice?.tool)?.name;
  let tool: ToolSpec | undefined;
  if (typeof named === 'string') tool = tools.find((t) => t.name === named);
  else if (choice?.any !== undefined) tool = tools[0];
  else tool = tools.find((t) => context.lastUserText.includes(t.name));
  return tool ? [{ name: tool.name, input: sampleOf(tool.schema, context.lastUserText) as Record<string, unknown> }] : [];
}

/** A JSON value satisfying the simple parts of a JSON schema: the required properties, by type. */
export function sampleOf(schema: Record<string, unknown> | undefined, text: string): unknown {
  const type = schema?.type;
  if (Array.isArray(schema?.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (type) {
    case 'string':
      return text;
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [sampleOf(asRecord(schema?.items), text)];
    case 'null':
      return null;
    default: {
      const properties = asRecord(schema?.properties) ?? {};
      const required = Array.isArray(schema?.required) ? schema.required.map(String) : [];
      return Object.fromEntries(required.map((name) => [name, sampleOf(asRecord(properties[name]), text)]));
    }
  }
}

/** The JSON schema of `outputConfig.textFormat`, when the request asks for structured output. */
export function structuredOutputSchema(body: ConverseRequestBody): Record<string, unknown> | undefined {
  const format = asRecord(asRecord(body.outputConfig)?.textFormat);
  if (format?.type !== 'json_schema') return undefined;
  const schema = asRecord(asRecord(format.structure)?.jsonSchema)?.schema;
  if (typeof schema !== 'string') return {};
  try {
    return asRecord(JSON.parse(schema)) ?? {};
  } catch {
    return {};
  }
}

/** The answer of the default `answer` when the request carries tool results, images or a structured-output schema. */
export function defaultRichAnswer(context: AnswerContext): EmulatorAnswer | undefined {
  const results = lastToolResults(context.body);
  if (results.length > 0) {
    return { text: `[bedrock-emulator] The tool answered: ${results.map((r) => r.text).join(' | ')}` };
  }
  const calls = chooseToolCalls(context);
  if (calls.length > 0) return { toolCalls: calls };
  const schema = structuredOutputSchema(context.body);
  if (schema !== undefined) return { text: JSON.stringify(sampleOf({ type: 'object', ...schema }, context.lastUserText)) };
  return undefined;
}

/** Tool-use id in Bedrock's shape (`tooluse_` and 22 characters). */
export function toolUseId(seed: string): string {
  return `tooluse_${createHash('sha256').update(seed).digest('base64url').slice(0, 22)}`;
}

/** Text of a block for the input-token estimate (~4 characters per token); an image counts {@link IMAGE_TOKENS}. */
function blockChars(block: Block): number {
  if (asRecord(block.image)) return IMAGE_TOKENS * 4;
  if (asRecord(block.cachePoint)) return 0;
  if (typeof block.text === 'string') return block.text.length;
  return guardedText(block)?.length ?? JSON.stringify(block).length;
}

export interface InputUsage {
  /** Tokens after the last cache point (all of them without one). */
  inputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/**
 * Input tokens, split by the last `cachePoint` (tools, then system, then messages: the order the prefix is
 * cached in). `cache` holds the prefixes seen before, per model.
 */
export function inputUsage(body: ConverseRequestBody, modelId: string, cache: Set<string>): InputUsage {
  const sequence: Block[] = [
    ...blocksOf(asRecord(body.toolConfig)?.tools),
    ...blocksOf(body.system),
    ...(Array.isArray(body.messages) ? body.messages : []).flatMap((m) => blocksOf(m?.content)),
  ];
  const total = Math.max(1, Math.ceil(sequence.reduce((sum, b) => sum + blockChars(b), 0) / 4));
  let last = -1;
  sequence.forEach((block, i) => {
    if (asRecord(block.cachePoint)) last = i;
  });
  if (last < 0) return { inputTokens: total };
  const prefix = sequence.slice(0, last);
  const cached = Math.ceil(prefix.reduce((sum, b) => sum + blockChars(b), 0) / 4);
  if (cached === 0) return { inputTokens: total };
  const key = createHash('sha256').update(modelId).update(JSON.stringify(prefix)).digest('hex');
  const inputTokens = Math.max(1, total - cached);
  if (cache.has(key)) return { inputTokens, cacheReadInputTokens: cached, cacheWriteInputTokens: 0 };
  cache.add(key);
  return { inputTokens, cacheReadInputTokens: 0, cacheWriteInputTokens: cached };
}
