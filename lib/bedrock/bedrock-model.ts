import { GEOGRAPHY_REGIONS, GLOBAL_GEOGRAPHY, parseInferenceProfileId } from './inference-geography';

/** Options for a cross-region inference profile. */
export interface InferenceProfileOptions {
  /**
   * The regions this profile routes requests to; the grant names the foundation model in each.
   * Give the exact list from the model's row in "Supported Regions and models for inference
   * profiles" to grant no region the profile cannot reach.
   *
   * @default - every region of the profile's geography (ignored for `global.` profiles, which IAM
   * sees with no region)
   */
  readonly destinationRegions?: string[];
}

const MODEL_ID = /^[a-z0-9-]+\.[a-z0-9][a-z0-9.:-]*$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * A Bedrock model a chat function may invoke: an on-demand foundation model in the stack's
 * region, or a system-defined cross-region inference profile (`us.`, `eu.`, `apac.`, `jp.`,
 * `au.`, `ca.`, `us-gov.` or `global.`).
 *
 * Newer models (Claude 4.x among them) are only offered on demand through an inference profile.
 */
export class BedrockModel {
  /** An inference profile id (`us.…`, `global.…`) or else a foundation model id, as written in configuration. */
  public static fromId(id: string): BedrockModel {
    return parseInferenceProfileId(id) ? BedrockModel.inferenceProfile(id) : BedrockModel.foundationModel(id);
  }

  /** A foundation model invoked directly in the stack's region, e.g. `amazon.nova-lite-v1:0`. */
  public static foundationModel(modelId: string): BedrockModel {
    if (!MODEL_ID.test(modelId) || parseInferenceProfileId(modelId)) {
      throw new Error(
        `BedrockModel.foundationModel: '${modelId}' is not a foundation model id ` +
        "(expected '<provider>.<model>', e.g. 'amazon.nova-lite-v1:0'; use BedrockModel.inferenceProfile for 'us.…', 'global.…' ids)",
      );
    }
    return new BedrockModel(modelId, modelId, undefined, undefined);
  }

  /** A system-defined cross-region inference profile, e.g. `global.anthropic.claude-sonnet-4-6`. */
  public static inferenceProfile(profileId: string, options: InferenceProfileOptions = {}): BedrockModel {
    const parsed = parseInferenceProfileId(profileId);
    if (!parsed || !MODEL_ID.test(parsed.modelId)) {
      throw new Error(
        `BedrockModel.inferenceProfile: '${profileId}' is not a cross-region inference profile id ` +
        `(expected '<geography>.<provider>.<model>' with geography one of ${[GLOBAL_GEOGRAPHY, ...Object.keys(GEOGRAPHY_REGIONS)].join(', ')})`,
      );
    }
    let regions: readonly string[] | undefined;
    if (parsed.geography !== GLOBAL_GEOGRAPHY) {
      regions = options.destinationRegions ?? GEOGRAPHY_REGIONS[parsed.geography];
      const bad = regions.filter((r) => !REGION.test(r));
      if (regions.length === 0 || bad.length > 0) {
        throw new Error(`BedrockModel.inferenceProfile('${profileId}'): destinationRegions must be region names, got ${JSON.stringify(regions)}`);
      }
    }
    return new BedrockModel(profileId, parsed.modelId, parsed.geography, regions);
  }

  private constructor(
    /** The id a caller passes to Converse/ConverseStream as `modelId`. */
    public readonly invocationId: string,
    /** The foundation model behind it. */
    public readonly foundationModelId: string,
    /** The profile's geography, or undefined for a foundation model. */
    public readonly geography: string | undefined,
    /** The regions a geographic profile routes to; undefined for foundation models and global profiles. */
    public readonly destinationRegions: readonly string[] | undefined,
  ) {}

  /** True when this is a cross-region inference profile. */
  public get isInferenceProfile(): boolean {
    return this.geography !== undefined;
  }
}
