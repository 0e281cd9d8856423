/**
 * cdk-nag acknowledgement checks shared by the app-level and construct-level nag tests: the app is synthesized once
 * with its acknowledgements applied and recorded; every finding must be acknowledged, and each acknowledgement must
 * cover exactly one real finding on one resource while every finding is covered by exactly one.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';

export interface Finding {
  readonly ruleName: string;
  readonly constructPath: string;
}
/** `id` is the rule as cdk-nag names it (`AwsSolutions-IAM5[…]`); `qualifiedId` as acknowledged (`AwsSolutions::AwsSolutions-IAM5[…]`). */
export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly qualifiedId: string;
  readonly reason: string;
}
/** A finding an acknowledgement suppressed, as validation-report.json shows it. */
export interface SuppressedFinding {
  /** The construct path the acknowledgement was made on. */
  readonly at: string;
  /** The acknowledged id (`<Pack>::<rule>`). */
  readonly id: string;
  readonly ruleName: string;
  readonly constructPath: string;
}

/** One synthesis of an app under the cdk-nag packs, its acknowledgements applied and recorded. */
export interface NagSynthesis {
  /** What `app.synth()` threw (an unacknowledged finding fails it), or undefined. */
  readonly error: unknown;
  /** Every finding of every pack, acknowledged or not. */
  readonly findings: Finding[];
  /** The findings no acknowledgement suppressed. */
  readonly unacknowledged: Finding[];
  readonly acknowledgements: Acknowledgement[];
  readonly suppressed: SuppressedFinding[];
}

/** `<Pack>::<rule>` → `<rule>`; the pack must be the rule's own prefix (cdk-nag's plugin name). */
function ruleOf(qualifiedId: string): string {
  const separator = qualifiedId.indexOf('::');
  const bracket = qualifiedId.indexOf('[');
  // A '::' inside the finding's brackets (`[Policy::arn:…]`) is not the pack separator.
  return separator < 0 || (bracket >= 0 && bracket < separator) ? qualifiedId : qualifiedId.slice(separator + 2);
}

function readReport(app: App) {
  return JSON.parse(readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{
      pluginName: string;
      violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
      suppressedViolations?: Array<{
        ruleName: string;
        acknowledgedId: string;
        acknowledgedAt: string;
        violatingConstructs: Array<{ constructPath: string }>;
      }>;
    }>;
  };
}

const syntheses = new Map<() => unknown, NagSynthesis>();

/**
 * Builds the app and synthesizes it once, recording every acknowledgement as it is made (and applying it).
 * aws-cdk-lib reports each finding an acknowledgement covers among the suppressed ones and every other finding as a
 * violation, so the two together are every finding, as a synthesis with no acknowledgement applied reports them
 * (compared when this replaced that second synthesis: the same findings for the app and each construct suite).
 * Calls with the same `build` share the one synthesis.
 */
export function nagSynthesis<T extends { app: App }>(build: () => T): T & NagSynthesis {
  const done = syntheses.get(build);
  if (done) return done as T & NagSynthesis;
  const acknowledgements: Acknowledgement[] = [];
  const acknowledge = Validations.prototype.acknowledge;
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
    for (const rule of rules) acknowledgements.push({ path: scope.node.path, id: ruleOf(rule.id), qualifiedId: rule.id, reason: rule.reason });
    acknowledge.apply(this, rules);
  });
  let built: T;
  let error: unknown;
  try {
    built = build();
    try {
      built.app.synth();
    } catch (thrown) {
      error = thrown;
    }
  } finally {
    spy.mockRestore();
  }
  const reports = readReport(built.app).pluginReports;
  const unacknowledged: Finding[] = reports.flatMap((plugin) =>
    plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ ruleName: v.ruleName, constructPath: c.constructPath }))),
  );
  const suppressed: SuppressedFinding[] = reports.flatMap((plugin) =>
    (plugin.suppressedViolations ?? []).flatMap((v) =>
      v.violatingConstructs.map((c) => ({ at: v.acknowledgedAt, id: v.acknowledgedId, ruleName: v.ruleName, constructPath: c.constructPath })),
    ),
  );
  const findings = [...unacknowledged, ...suppressed.map(({ ruleName, constructPath }) => ({ ruleName, constructPath }))];
  const result = { ...built, error, findings, unacknowledged, acknowledgements, suppressed };
  syntheses.set(build, result);
  return result;
}

/** The test that the app synthesizes under every pack: no finding is left unacknowledged, nothing else fails. */
export function expectNoUnacknowledgedFindings(build: () => { app: App }): void {
  const { error, unacknowledged } = nagSynthesis(build);
  expect(unacknowledged).toEqual([]);
  expect(error).toBeUndefined();
}

/**
 * Registers the acknowledgement tests: the list is exactly `expected` ([construct path, finding id]
 * pairs), each covers exactly one real finding, every finding is covered once, and each reason is specific.
 */
export function describeAcknowledgements<T extends { app: App }>(build: () => T, expected: (built: T) => string[][]): void {
  describe('acknowledgements', () => {
    let result: T & NagSynthesis;
    beforeAll(() => {
      result = nagSynthesis(build);
    });

    test('are exactly the reviewed list', () => {
      expect(result.acknowledgements.map((a) => [a.path, a.id]).sort()).toEqual([...expected(result)].sort());
    });

    test('each covers exactly one real finding on one resource, and every finding is covered by one', () => {
      const covering = (f: Finding) =>
        result.acknowledgements.filter((a) => a.id === f.ruleName && (f.constructPath === a.path || f.constructPath.startsWith(`${a.path}/`)));
      expect(result.findings.length).toBeGreaterThan(0);
      for (const finding of result.findings) expect({ finding, covered: covering(finding).length }).toEqual({ finding, covered: 1 });
      for (const ack of result.acknowledgements) {
        const covered = result.findings.filter((f) => covering(f).includes(ack));
        expect({ ack: [ack.path, ack.id], findings: covered.length }).toEqual({ ack: [ack.path, ack.id], findings: 1 });
      }
    });

    test('each gives a specific reason', () => {
      for (const ack of result.acknowledgements) expect(ack.reason.length).toBeGreaterThan(80);
    });

    test('each names its pack (<Pack>::<rule>), so validation-report.json lists it as suppressed', () => {
      for (const ack of result.acknowledgements) {
        expect(ack.qualifiedId).toBe(`${ack.id.slice(0, ack.id.indexOf('-'))}::${ack.id}`);
      }
      const shown = (ack: Acknowledgement) => result.suppressed.filter((s) => s.at === ack.path && s.id === ack.qualifiedId);
      for (const ack of result.acknowledgements)
        expect({ ack: [ack.path, ack.qualifiedId], shown: shown(ack).length }).toEqual({ ack: [ack.path, ack.qualifiedId], shown: 1 });
      expect(result.suppressed).toHaveLength(result.acknowledgements.length);
    });
  });
}

/**
 * The reviewed acknowledgements of one `ChatWebsite` (construct path `site`): its own buckets and distribution, and
 * aws-cdk-lib's BucketDeployment handler (one per stack, beside the site). `assetsBucketArn` is the bootstrap bucket's
 * ARN as cdk-nag prints it.
 */
export function chatWebsiteAcknowledgements(site: string, bucketLogicalId: string, assetsBucketArn: string, firewall: boolean): string[][] {
  const stack = site.slice(0, site.lastIndexOf('/'));
  const helper = `${stack}/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C256MiB`;
  const policy = `${helper}/ServiceRole/DefaultPolicy`;
  return [
    ...[
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'HIPAA.Security-S3DefaultEncryptionKMS',
      'PCI.DSS.321-S3DefaultEncryptionKMS',
      'NIST.800.53.R4-S3BucketReplicationEnabled',
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'HIPAA.Security-S3BucketReplicationEnabled',
      'PCI.DSS.321-S3BucketReplicationEnabled',
      'NIST.800.53.R4-S3BucketDefaultLockEnabled',
    ].flatMap((id) => [
      [`${site}/Logs`, id],
      [`${site}/Bucket`, id],
    ]),
    [`${site}/Distribution`, 'AwsSolutions-CFR1'],
    [`${site}/Distribution`, 'AwsSolutions-CFR4'],
    ...(firewall ? [] : [[`${site}/Distribution`, 'AwsSolutions-CFR2']]),
    ...[
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      `Resource::${assetsBucketArn}/*`,
      `Resource::<${bucketLogicalId}.Arn>/*`,
      'Resource::*',
    ].map((finding) => [policy, `AwsSolutions-IAM5[${finding}]`]),
    [policy, 'NIST.800.53.R4-IAMNoInlinePolicy'],
    [policy, 'NIST.800.53.R5-IAMNoInlinePolicy'],
    [policy, 'HIPAA.Security-IAMNoInlinePolicy'],
    [policy, 'PCI.DSS.321-IAMNoInlinePolicy'],
    [`${helper}/ServiceRole`, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]'],
    ...[
      'AwsSolutions-L1',
      'Serverless-LambdaLatestVersion',
      'Serverless-LambdaDLQ',
      'NIST.800.53.R5-LambdaDLQ',
      'HIPAA.Security-LambdaDLQ',
      'NIST.800.53.R5-LambdaConcurrency',
      'HIPAA.Security-LambdaConcurrency',
      'NIST.800.53.R4-LambdaInsideVPC',
      'NIST.800.53.R5-LambdaInsideVPC',
      'HIPAA.Security-LambdaInsideVPC',
      'PCI.DSS.321-LambdaInsideVPC',
      'Serverless-LambdaTracing',
    ].map((id) => [helper, id]),
    [`${helper}/LogGroup`, 'NIST.800.53.R4-CloudWatchLogGroupEncrypted'],
    [`${helper}/LogGroup`, 'NIST.800.53.R5-CloudWatchLogGroupEncrypted'],
    [`${helper}/LogGroup`, 'HIPAA.Security-CloudWatchLogGroupEncrypted'],
    [`${helper}/LogGroup`, 'PCI.DSS.321-CloudWatchLogGroupEncrypted'],
  ];
}

/** The reviewed acknowledgements of one `KnowledgeBase` at construct path `kb`; `objectsFinding` is its service policy's IAM5 finding. */
export function knowledgeBaseAcknowledgements(kb: string, objectsFinding: string): string[][] {
  return [
    [`${kb}/ServiceRole/Policy`, `AwsSolutions-IAM5[${objectsFinding}]`],
    [`${kb}/AccessLogs`, 'NIST.800.53.R5-S3DefaultEncryptionKMS'],
    [`${kb}/AccessLogs`, 'HIPAA.Security-S3DefaultEncryptionKMS'],
    [`${kb}/AccessLogs`, 'PCI.DSS.321-S3DefaultEncryptionKMS'],
    [`${kb}/AccessLogs`, 'NIST.800.53.R4-S3BucketDefaultLockEnabled'],
    [`${kb}/Documents`, 'NIST.800.53.R4-S3BucketDefaultLockEnabled'],
    ...['NIST.800.53.R4', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].flatMap((pack) => [
      [`${kb}/AccessLogs`, `${pack}-S3BucketReplicationEnabled`],
      [`${kb}/Documents`, `${pack}-S3BucketReplicationEnabled`],
    ]),
  ];
}
