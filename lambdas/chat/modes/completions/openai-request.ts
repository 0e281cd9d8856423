/**
 * An OpenAI Chat Completions request (`POST /v1/chat/completions`) checked and mapped onto Bedrock Converse.
 *
 * | OpenAI                                              | Converse                                                  |
 * |-----------------------------------------------------|-----------------------------------------------------------|
 * | `system` / `developer` messages (anywhere)          | `system` blocks, in order                                 |
 * | `user` text and `image_url` parts (`data:` URLs)    | a user message with text and image blocks                 |
 * | `assistant` content and `tool_calls`                | an assistant message with text and `toolUse` blocks       |
 * | `tool` messages (`tool_call_id`)                    | `toolResult` blocks (same id) in the next user message    |
 * | `max_tokens` / `max_completion_tokens`              | `inferenceConfig.maxTokens`, capped by the deployment     |
 * | `temperature` (0 to 1), `top_p`, `stop`             | `temperature`, `topP`, `stopSequences`                    |
 * | `tools`, `tool_choice` auto / required / a function | `toolConfig.tools`, `toolChoice` auto / any / tool        |
 * | `response_format` `json_object` / `json_schema`     | `outputConfig.textFormat` `json_schema` (any object / the schema) |
 *
 * Consecutive turns of one role are merged (Converse needs alternating roles). A remote image URL is refused and
 * never fetched (no request to a caller-chosen address leaves the function). Parameters that cannot be honoured
 * (`n` > 1, `logprobs`, penalties, `seed`, audio, …) are refused naming the parameter; fields this API does not
 * know are ignored, as OpenAI ignores them.
 */
import type { ContentBlock, ImageFormat, Message, SystemContentBlock, Tool, ToolChoice } from '@aws-sdk/client-bedrock-runtime';
import { ChatError, type ErrorCode } from '../../http/errors';

/** A 400 (or `status`) naming the request parameter at fault (OpenAI's `param`). */
export class ParameterError extends ChatError {
  constructor(
    code: ErrorCode,
    message: string,
    public readonly param: string | null,
    status = 400,
  ) {
    super(status, code, message);
  }
}

export interface CompletionRequest {
  /** The `model` as sent: an alias or a Bedrock model id of the deployment. */
  readonly model: string;
  readonly system: SystemContentBlock[];
  readonly messages: Message[];
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stopSequences?: string[];
  readonly tools?: Tool[];
  readonly toolChoice?: ToolChoice;
  /** The JSON schema (as text) the answer must follow. */
  readonly jsonSchema?: { readonly schema: string; readonly name?: string; readonly description?: string };
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** Counts for the log: never the text. */
  readonly imageCount: number;
}

/** Parameters OpenAI defines that this API cannot honour; refused when set to anything but their neutral value. */
const UNSUPPORTED: Readonly<Record<string, (value: unknown) => boolean>> = {
  n: (v) => v !== 1,
  logprobs: (v) => v !== false,
  top_logprobs: () => true,
  logit_bias: (v) => !(isRecord(v) && Object.keys(v).length === 0),
  presence_penalty: (v) => v !== 0,
  frequency_penalty: (v) => v !== 0,
  seed: () => true,
  audio: () => true,
  modalities: (v) => !(Array.isArray(v) && v.every((m) => m === 'text')),
  prediction: () => true,
  web_search_options: () => true,
  functions: () => true,
  function_call: () => true,
  reasoning_effort: () => true,
  verbosity: () => true,
};

const DATA_URL = /^data:image\/(png|jpeg|jpg|gif|webp);base64,([A-Za-z0-9+/]+={0,2})$/;
const MAX_STOP_SEQUENCES = 4;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function invalid(param: string, message: string): ParameterError {
  return new ParameterError('invalid_parameter', message, param);
}

/** Checks and maps the request body; `maxTokensCap` is the deployment's bound on tokens per answer. */
export function parseCompletionRequest(body: unknown, maxTokensCap: number): CompletionRequest {
  if (!isRecord(body)) throw new ParameterError('invalid_body', 'The request body must be a JSON object.', null);
  for (const [name, isSet] of Object.entries(UNSUPPORTED)) {
    if (body[name] !== undefined && body[name] !== null && isSet(body[name])) {
      throw new ParameterError('unsupported_parameter', `The parameter '${name}' is not supported by this API.`, name);
    }
  }
  if (typeof body.model !== 'string' || body.model === '') throw invalid('model', "'model' is required: one of the models GET /v1/models lists.");
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw invalid('messages', "'messages' must be a non-empty array.");

  const stream = optionalBoolean(body, 'stream') ?? false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isRecord(streamOptions))
    throw invalid('stream_options', "'stream_options' must be an object.");
  const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;

  const requested = optionalInteger(body, 'max_completion_tokens') ?? optionalInteger(body, 'max_tokens');
  const temperature = optionalNumber(body, 'temperature', 0, 1, 'Bedrock models take 0 to 1');
  const topP = optionalNumber(body, 'top_p', 0, 1);
  const tools = mapTools(body.tools);
  const toolChoice = mapToolChoice(body.tool_choice, tools);
  const { system, messages, imageCount } = mapMessages(body.messages);
  const hasToolBlocks = messages.some((m) => m.content?.some((b) => b.toolUse !== undefined || b.toolResult !== undefined));
  if (hasToolBlocks && tools === undefined) {
    throw invalid('tools', "The conversation holds tool calls: send the 'tools' they were made with.");
  }
  // tool_choice "none": the tools are not offered, unless the conversation already holds tool calls (Converse then
  // needs them defined, and the model may still call one).
  const sendTools = toolChoice === 'none' ? (hasToolBlocks ? tools : undefined) : tools;

  return {
    model: body.model,
    system,
    messages,
    maxTokens: Math.min(requested ?? maxTokensCap, maxTokensCap),
    temperature,
    topP,
    stopSequences: mapStop(body.stop),
    tools: sendTools,
    toolChoice: toolChoice === 'none' ? undefined : toolChoice,
    jsonSchema: mapResponseFormat(body.response_format),
    stream,
    includeUsage: stream && includeUsage,
    imageCount,
  };
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(name, `'${name}' must be true or false.`);
  return value;
}

function optionalInteger(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid(name, `'${name}' must be a whole number of at least 1.`);
  return value;
}

function optionalNumber(body: Record<string, unknown>, name: string, min: number, max: number, why?: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(name, `'${name}' must be a number from ${min} to ${max}${why ? ` (${why})` : ''}.`);
  }
  return value;
}

function mapStop(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.length > MAX_STOP_SEQUENCES || !list.every((s) => typeof s === 'string' && s !== '')) {
    throw invalid('stop', `'stop' must be a string or an array of at most ${MAX_STOP_SEQUENCES} non-empty strings.`);
  }
  return list.length > 0 ? (list as string[]) : undefined;
}

function mapTools(tools: unknown): Tool[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalid('tools', "'tools' must be an array.");
  if (tools.length === 0) return undefined;
  const names = new Set<string>();
  return tools.map((tool, i): Tool => {
    const fn = isRecord(tool) ? tool.function : undefined;
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(fn)) {
      throw invalid(`tools[${i}]`, `tools[${i}] must be { "type": "function", "function": { "name", "parameters" } }.`);
    }
    if (typeof fn.name !== 'string' || !TOOL_NAME.test(fn.name)) {
      throw invalid(`tools[${i}].function.name`, `tools[${i}].function.name must be 1 to 64 of a-z A-Z 0-9 _ -.`);
    }
    if (names.has(fn.name)) throw invalid(`tools[${i}].function.name`, `The tool name '${fn.name}' is used twice.`);
    names.add(fn.name);
    if (fn.parameters !== undefined && !isRecord(fn.parameters)) {
      throw invalid(`tools[${i}].function.parameters`, `tools[${i}].function.parameters must be a JSON schema object.`);
    }
    if (fn.description !== undefined && typeof fn.description !== 'string') {
      throw invalid(`tools[${i}].function.description`, `tools[${i}].function.description must be a string.`);
    }
    const schema = (fn.parameters as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} };
    return {
      toolSpec: {
        name: fn.name,
        ...(fn.description ? { description: fn.description } : {}),
        // biome-ignore lint/suspicious/noExplicitAny: the SDK types a JSON document as its own DocumentType
        inputSchema: { json: schema as any },
      },
    };
  });
}

function mapToolChoice(choice: unknown, tools: Tool[] | undefined): ToolChoice | 'none' | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'none') return 'none';
  if (tools === undefined) throw invalid('tool_choice', "'tool_choice' needs 'tools'.");
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  const name = isRecord(choice) && choice.type === 'function' && isRecord(choice.function) ? choice.function.name : undefined;
  if (typeof name !== 'string') {
    throw invalid('tool_choice', `'tool_choice' must be "auto", "none", "required" or { "type": "function", "function": { "name" } }.`);
  }
  if (!tools.some((t) => t.toolSpec?.name === name)) throw invalid('tool_choice', `'tool_choice' names '${name}', which is not one of the tools.`);
  return { tool: { name } };
}

function mapResponseFormat(format: unknown): CompletionRequest['jsonSchema'] {
  if (format === undefined || format === null) return undefined;
  const type = isRecord(format) ? format.type : undefined;
  if (type === 'text') return undefined;
  if (type === 'json_object') return { schema: JSON.stringify({ type: 'object' }) };
  if (type === 'json_schema' && isRecord(format) && isRecord(format.json_schema) && isRecord(format.json_schema.schema)) {
    const { name, description, schema } = format.json_schema;
    return {
      schema: JSON.stringify(schema),
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof description === 'string' ? { description } : {}),
    };
  }
  throw invalid(
    'response_format',
    '\'response_format\' must be { "type": "text" }, { "type": "json_object" } or { "type": "json_schema", "json_schema": { "name", "schema" } }.',
  );
}

interface MappedMessages {
  system: SystemContentBlock[];
  messages: Message[];
  imageCount: number;
}

function mapMessages(list: unknown[]): MappedMessages {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  let imageCount = 0;
  const push = (role: 'user' | 'assistant', content: ContentBlock[]): void => {
    const last = messages[messages.length - 1];
    if (last?.role === role) last.content = [...(last.content ?? []), ...content];
    else messages.push({ role, content });
  };
  list.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (!isRecord(message)) throw invalid(at, `${at} must be an object.`);
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const text of textParts(message.content, at)) system.push({ text });
        return;
      case 'user': {
        const content = userContent(message.content, at);
        imageCount += content.filter((b) => b.image !== undefined).length;
        if (content.length === 0) throw invalid(`${at}.content`, `${at}.content must not be empty.`);
        push('user', content);
        return;
      }
      case 'assistant': {
        const content: ContentBlock[] =
          message.content === undefined || message.content === null ? [] : textParts(message.content, at).map((text) => ({ text }));
        content.push(...toolUses(message.tool_calls, at));
        if (content.length === 0) throw invalid(`${at}.content`, `${at} needs content or tool_calls.`);
        push('assistant', content);
        return;
      }
      case 'tool': {
        if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') {
          throw invalid(`${at}.tool_call_id`, `${at}.tool_call_id must name the tool call this message answers.`);
        }
        const text = textParts(message.content, at).join('\n');
        push('user', [{ toolResult: { toolUseId: message.tool_call_id, content: [{ text }] } }]);
        return;
      }
      default:
        throw invalid(`${at}.role`, `${at}.role must be "system", "developer", "user", "assistant" or "tool".`);
    }
  });
  if (messages.length === 0) throw invalid('messages', "'messages' must include a user message.");
  if (messages[0]?.role !== 'user') throw invalid('messages', 'The conversation must start with a user message (after any system messages).');
  return { system, messages, imageCount };
}

/** The text of a string content or an array of text parts. */
function textParts(content: unknown, at: string): string[] {
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) throw invalid(`${at}.content`, `${at}.content must be a string or an array of parts.`);
  return content.map((part, j) => {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw invalid(`${at}.content[${j}]`, `${at}.content[${j}] must be a text part here.`);
    }
    return part.text;
  });
}

function userContent(content: unknown, at: string): ContentBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) throw invalid(`${at}.content`, `${at}.content must be a string or an array of parts.`);
  return content.map((part, j): ContentBlock => {
    const where = `${at}.content[${j}]`;
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') return { text: part.text };
    if (isRecord(part) && part.type === 'image_url' && isRecord(part.image_url) && typeof part.image_url.url === 'string') {
      return imageBlock(part.image_url.url, `${where}.image_url.url`);
    }
    const type = isRecord(part) ? String(part.type) : typeof part;
    throw new ParameterError(
      'unsupported_parameter',
      `${where}: content parts of type '${type}' are not supported (text and image_url only).`,
      where,
    );
  });
}

function imageBlock(url: string, param: string): ContentBlock {
  const match = DATA_URL.exec(url);
  if (!match) {
    if (/^https?:/i.test(url)) {
      throw new ParameterError(
        'image_url_not_supported',
        `${param}: images must be sent inline as data:image/<png|jpeg|gif|webp>;base64,… URLs; remote URLs are never fetched.`,
        param,
      );
    }
    throw invalid(param, `${param} must be a data:image/<png|jpeg|gif|webp>;base64,… URL.`);
  }
  const format = (match[1] === 'jpg' ? 'jpeg' : match[1]) as ImageFormat;
  return { image: { format, source: { bytes: Buffer.from(match[2] ?? '', 'base64') } } };
}

function toolUses(calls: unknown, at: string): ContentBlock[] {
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) throw invalid(`${at}.tool_calls`, `${at}.tool_calls must be an array.`);
  return calls.map((call, k): ContentBlock => {
    const where = `${at}.tool_calls[${k}]`;
    const fn = isRecord(call) ? call.function : undefined;
    if (!isRecord(call) || typeof call.id !== 'string' || !isRecord(fn) || typeof fn.name !== 'string') {
      throw invalid(where, `${where} must be { "id", "type": "function", "function": { "name", "arguments" } }.`);
    }
    let input: unknown;
    try {
      input = JSON.parse(typeof fn.arguments === 'string' && fn.arguments !== '' ? fn.arguments : '{}');
    } catch {
      throw invalid(`${where}.function.arguments`, `${where}.function.arguments must be a JSON object as text.`);
    }
    if (!isRecord(input)) throw invalid(`${where}.function.arguments`, `${where}.function.arguments must be a JSON object as text.`);
    // biome-ignore lint/suspicious/noExplicitAny: the SDK types a JSON document as its own DocumentType
    return { toolUse: { toolUseId: call.id, name: fn.name, input: input as any } };
  });
}
