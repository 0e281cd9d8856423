/**
 * Cross-region inference geographies and the regions each may route a request to.
 *
 * A system-defined (cross-region) inference profile id is `<geography>.<foundation model id>`.
 * Bedrock serves a request made through such a profile in any region of its geography, and
 * IAM evaluates the request against the foundation-model ARN in the region that serves it, so a
 * caller needs the foundation-model ARN in every destination region.
 *
 * Destination regions follow the Amazon Bedrock User Guide, "Supported Regions and models for
 * inference profiles" (checked November 2026). The exact set differs per model; the lists below
 * are the union for each geography. Pass `destinationRegions` to `BedrockModel.inferenceProfile`
 * to narrow a grant to the regions of one profile.
 */
export const GEOGRAPHY_REGIONS: Readonly<Record<string, readonly string[]>> = {
  us: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
  'us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  ca: ['ca-central-1', 'ca-west-1'],
  eu: ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
  apac: [
    'ap-east-2',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
    'ap-southeast-5',
    'ap-southeast-7',
    'me-central-1',
  ],
  jp: ['ap-northeast-1', 'ap-northeast-3'],
  au: ['ap-southeast-2', 'ap-southeast-4'],
};

/** The global geography routes to any commercial region; IAM sees those requests with no region. */
export const GLOBAL_GEOGRAPHY = 'global';

/** Every prefix a system-defined inference profile id may start with, longest first. */
const PREFIXES = [GLOBAL_GEOGRAPHY, ...Object.keys(GEOGRAPHY_REGIONS)].sort((a, b) => b.length - a.length);

/** Splits `us.anthropic.claude-…` into its geography and foundation model id, or undefined. */
export function parseInferenceProfileId(profileId: string): { geography: string; modelId: string } | undefined {
  for (const prefix of PREFIXES) {
    if (profileId.startsWith(`${prefix}.`) && profileId.length > prefix.length + 1) {
      return { geography: prefix, modelId: profileId.slice(prefix.length + 1) };
    }
  }
  return undefined;
}
