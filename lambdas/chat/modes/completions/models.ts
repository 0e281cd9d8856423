/**
 * The models of the completions API: the deployment's allow-list, named by alias (what `GET /v1/models` lists) or by
 * Bedrock model id. Anything else (`gpt-4o`) is 404 `model_not_found` before any Bedrock call.
 */
import type { ModelTarget } from '../../bedrock/errors';
import { modelTarget } from '../../bedrock/model-config';
import { ParameterError } from './openai-request';

/** `GET /v1/models`: one entry per alias, in the deployment's order. */
export function modelList(models: ReadonlyMap<string, string>): Record<string, unknown> {
  return { object: 'list', data: [...models.keys()].map((alias) => modelObject({ alias, modelId: models.get(alias) ?? '', region: '' })) };
}

export function modelObject(target: ModelTarget): Record<string, unknown> {
  return { id: target.alias, object: 'model', created: 0, owned_by: 'amazon-bedrock' };
}

/** The model a request names, by alias or Bedrock id; a 404 naming the choices otherwise. */
export function resolveModel(models: ReadonlyMap<string, string>, name: string, region: string): ModelTarget {
  if (models.has(name)) return modelTarget({ models }, name, region);
  for (const [alias, modelId] of models) if (modelId === name) return modelTarget({ models }, alias, region);
  throw new ParameterError(
    'model_not_found',
    `The model '${name}' does not exist or is not offered here. Models: ${[...models.keys()].join(', ')}.`,
    'model',
    404,
  );
}
