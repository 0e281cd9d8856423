/**
 * A local stand-in for the Bedrock Agent control plane's ingestion jobs, and for CloudFormation `DescribeStacks`
 * (stack outputs), speaking the real wire protocols so that the real `@aws-sdk/client-bedrock-agent` (restJson1)
 * and `@aws-sdk/client-cloudformation` (awsQuery) clients are exercised end to end: serialisation, SigV4 signing,
 * error deserialisation. Point them at it with `endpoint`, or the SDK's `AWS_ENDPOINT_URL_BEDROCK_AGENT` /
 * `AWS_ENDPOINT_URL_CLOUDFORMATION` variables.
 *
 * NOTHING IS INGESTED: a job is a record whose status the test moves on (`finishJob`), or that each
 * `GetIngestionJob` moves on with `advanceOnGet`.
 *
 * Emulated (Bedrock API Reference, Agents for Amazon Bedrock):
 * - `PUT  /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/`        StartIngestionJob: 202 `{ ingestionJob }`;
 *   a `clientToken` seen before returns that job again; a job still running answers 409 `ConflictException`;
 * - `POST /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/`        ListIngestionJobs (`filters` on STATUS,
 *   `sortBy` STARTED_AT or STATUS, `maxResults`; no paging);
 * - `GET  /knowledgebases/{kb}/datasources/{ds}/ingestionjobs/{jobId}` GetIngestionJob.
 * A knowledge base or data source not in `dataSources` answers 404 `ResourceNotFoundException`.
 *
 * With `principals`, every request's signature is verified by the Bedrock emulator's verifier (service `bedrock`
 * for ingestion jobs, `cloudformation` for stacks) and the action checked against what each principal may call:
 * `bedrock:StartIngestionJob` / `ListIngestionJobs` / `GetIngestionJob` on the knowledge base's ARN,
 * `cloudformation:DescribeStacks`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceError } from './bedrock-emulator/faults';
import { BEDROCK_AUTH_ERRORS, type EmulatorPrincipal, PrincipalTable, STS_AUTH_ERRORS } from './bedrock-emulator/principals';
import { parseAuthorization } from './bedrock-emulator/sigv4';
import { writeError, writeJson } from './bedrock-emulator/wire';

export type IngestionJobStatus = 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED' | 'STOPPING' | 'STOPPED';

export interface EmulatedIngestionJob {
  readonly knowledgeBaseId: string;
  readonly dataSourceId: string;
  readonly ingestionJobId: string;
  readonly description?: string;
  readonly clientToken?: string;
  status: IngestionJobStatus;
  readonly startedAt: Date;
  updatedAt: Date;
  statistics: Record<string, number>;
  failureReasons?: string[];
}

export interface AgentControlPlaneRequest {
  readonly operation: 'StartIngestionJob' | 'ListIngestionJobs' | 'GetIngestionJob' | 'DescribeStacks';
  /** The access key that signed it. */
  readonly accessKeyId?: string;
  readonly status: number;
}

export interface BedrockAgentEmulatorOptions {
  /** The knowledge bases and data sources that exist. */
  readonly dataSources: ReadonlyArray<{ readonly knowledgeBaseId: string; readonly dataSourceId: string }>;
  /** CloudFormation stacks by name: their outputs (key → value). @default none */
  readonly stacks?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Verify SigV4 against these principals. @default nothing verified */
  readonly principals?: readonly EmulatorPrincipal[];
  /** Each `GetIngestionJob` moves a job on: STARTING → IN_PROGRESS → COMPLETE. @default false (only `finishJob`) */
  readonly advanceOnGet?: boolean;
  /** The account in ARNs. @default '000000000000' */
  readonly account?: string;
}

export interface BedrockAgentEmulator {
  readonly url: string;
  readonly jobs: readonly EmulatedIngestionJob[];
  readonly requests: readonly AgentControlPlaneRequest[];
  /** Ends a job with `status` (COMPLETE by default) and, optionally, its statistics and failure reasons. */
  finishJob(ingestionJobId: string, status?: IngestionJobStatus, details?: { statistics?: Record<string, number>; failureReasons?: string[] }): void;
  close(): Promise<void>;
}

const JOBS_ROUTE = /^\/knowledgebases\/([^/]+)\/datasources\/([^/]+)\/ingestionjobs\/([^/]*)$/;
const UNFINISHED: readonly IngestionJobStatus[] = ['STARTING', 'IN_PROGRESS', 'STOPPING'];
const NO_STATISTICS = {
  numberOfDocumentsScanned: 0,
  numberOfMetadataDocumentsScanned: 0,
  numberOfNewDocumentsIndexed: 0,
  numberOfModifiedDocumentsIndexed: 0,
  numberOfMetadataDocumentsModified: 0,
  numberOfDocumentsDeleted: 0,
  numberOfDocumentsFailed: 0,
};

export async function startBedrockAgentEmulator(options: BedrockAgentEmulatorOptions): Promise<BedrockAgentEmulator> {
  const account = options.account ?? '000000000000';
  const jobs: EmulatedIngestionJob[] = [];
  const requests: AgentControlPlaneRequest[] = [];
  const verifying = options.principals !== undefined;
  const table = new PrincipalTable(options.principals ?? [], [], Date.now);
  const exists = (kb: string, ds: string) => options.dataSources.some((d) => d.knowledgeBaseId === kb && d.dataSourceId === ds);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
      const accessKeyId = parseAuthorization(String(req.headers.authorization ?? ''))?.accessKeyId;
      const region = parseAuthorization(String(req.headers.authorization ?? ''))?.region ?? 'us-east-1';
      const requestId = randomUUID();

      if (req.method === 'POST' && path === '/' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(body.toString('utf8'));
        const record = (status: number) => requests.push({ operation: 'DescribeStacks', accessKeyId, status });
        const denied = verify(
          { method: req.method, url: req.url ?? '', headers: req.headers, body },
          'cloudformation',
          'cloudformation:DescribeStacks',
          '*',
        );
        if (denied) {
          record(denied.status);
          return writeQueryError(res, denied, requestId);
        }
        if (form.get('Action') !== 'DescribeStacks') {
          record(400);
          return writeQueryError(res, { status: 400, type: 'InvalidAction', message: `${form.get('Action')} is not emulated` }, requestId);
        }
        const name = form.get('StackName') ?? '';
        const outputs = options.stacks?.[name];
        if (!outputs) {
          record(400);
          return writeQueryError(res, { status: 400, type: 'ValidationError', message: `Stack with id ${name} does not exist` }, requestId);
        }
        record(200);
        return writeDescribeStacks(res, name, outputs, region, account, requestId);
      }

      const route = JOBS_ROUTE.exec(path);
      const operation =
        route && req.method === 'PUT' && route[3] === ''
          ? 'StartIngestionJob'
          : route && req.method === 'POST' && route[3] === ''
            ? 'ListIngestionJobs'
            : route && req.method === 'GET' && route[3] !== ''
              ? 'GetIngestionJob'
              : undefined;
      if (!route || !operation) {
        return writeError(res, { status: 404, type: 'UnknownOperationException', message: `${req.method} ${path} is not emulated` }, requestId);
      }
      const [, kb = '', ds = '', jobId = ''] = route;
      const answer = (status: number, payload: unknown) => {
        requests.push({ operation, accessKeyId, status });
        writeJson(res, status, payload, requestId);
      };
      const fail = (error: ServiceError) => {
        requests.push({ operation, accessKeyId, status: error.status });
        writeError(res, error, requestId);
      };
      const denied = verify(
        { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body },
        'bedrock',
        `bedrock:${operation}`,
        `arn:aws:bedrock:${region}:${account}:knowledge-base/${kb}`,
      );
      if (denied) return fail(denied);
      if (!exists(kb, ds))
        return fail({ status: 404, type: 'ResourceNotFoundException', message: `Knowledge base ${kb} or data source ${ds} not found` });
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const ofSource = jobs.filter((j) => j.knowledgeBaseId === kb && j.dataSourceId === ds);

      if (operation === 'StartIngestionJob') {
        const token = typeof input.clientToken === 'string' ? input.clientToken : undefined;
        const again = token === undefined ? undefined : ofSource.find((j) => j.clientToken === token);
        if (again) return answer(202, { ingestionJob: render(again) });
        const running = ofSource.find((j) => UNFINISHED.includes(j.status));
        if (running) {
          return fail({
            status: 409,
            type: 'ConflictException',
            message: `There is already an ongoing ingestion job ${running.ingestionJobId} for data source ${ds}.`,
          });
        }
        const now = new Date();
        const job: EmulatedIngestionJob = {
          knowledgeBaseId: kb,
          dataSourceId: ds,
          ingestionJobId: newId(),
          ...(typeof input.description === 'string' ? { description: input.description } : {}),
          ...(token !== undefined ? { clientToken: token } : {}),
          status: 'STARTING',
          startedAt: now,
          updatedAt: now,
          statistics: { ...NO_STATISTICS },
        };
        jobs.push(job);
        return answer(202, { ingestionJob: render(job) });
      }
      if (operation === 'ListIngestionJobs') {
        let listed = [...ofSource];
        for (const filter of (input.filters as Array<{ attribute: string; values: string[] }> | undefined) ?? []) {
          if (filter.attribute === 'STATUS') listed = listed.filter((j) => filter.values.includes(j.status));
        }
        const sortBy = input.sortBy as { attribute: string; order: string } | undefined;
        if (sortBy) {
          const key = (j: EmulatedIngestionJob) => (sortBy.attribute === 'STATUS' ? j.status : j.startedAt.getTime());
          // Jobs started in the same millisecond keep their order of creation.
          listed = listed
            .map((j, i) => [j, i] as const)
            .sort(([a, i], [b, k]) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : i - k))
            .map(([j]) => j);
          if (sortBy.order === 'DESCENDING') listed.reverse();
        }
        const max = typeof input.maxResults === 'number' ? input.maxResults : 1000;
        return answer(200, { ingestionJobSummaries: listed.slice(0, max).map(render) });
      }
      const job = ofSource.find((j) => j.ingestionJobId === jobId);
      if (!job) return fail({ status: 404, type: 'ResourceNotFoundException', message: `Ingestion job ${jobId} not found` });
      if (options.advanceOnGet && job.status === 'IN_PROGRESS') setStatus(job, 'COMPLETE');
      if (options.advanceOnGet && job.status === 'STARTING') setStatus(job, 'IN_PROGRESS');
      return answer(200, { ingestionJob: render(job) });
    });
  });

  function verify(
    request: Parameters<PrincipalTable['authenticate']>[0],
    service: string,
    action: string,
    resource: string,
  ): ServiceError | undefined {
    if (!verifying) return undefined;
    const errors = service === 'bedrock' ? BEDROCK_AUTH_ERRORS : STS_AUTH_ERRORS;
    const auth = table.authenticate(request, service, errors);
    if (!auth.ok) return auth.error;
    return table.authorize(auth.principal, action, resource, errors);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    jobs,
    requests,
    finishJob(ingestionJobId, status = 'COMPLETE', details = {}) {
      const job = jobs.find((j) => j.ingestionJobId === ingestionJobId);
      if (!job) throw new Error(`[bedrock-agent-emulator] no ingestion job ${ingestionJobId}`);
      setStatus(job, status);
      if (details.statistics) job.statistics = { ...job.statistics, ...details.statistics };
      if (details.failureReasons) job.failureReasons = details.failureReasons;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function setStatus(job: EmulatedIngestionJob, status: IngestionJobStatus): void {
  job.status = status;
  job.updatedAt = new Date();
}

function render(job: EmulatedIngestionJob): Record<string, unknown> {
  return {
    knowledgeBaseId: job.knowledgeBaseId,
    dataSourceId: job.dataSourceId,
    ingestionJobId: job.ingestionJobId,
    ...(job.description !== undefined ? { description: job.description } : {}),
    status: job.status,
    startedAt: job.startedAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    statistics: job.statistics,
    ...(job.failureReasons ? { failureReasons: job.failureReasons } : {}),
  };
}

/** Ten upper-case letters and digits, as Bedrock's ids. */
function newId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('');
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function writeDescribeStacks(
  res: http.ServerResponse,
  name: string,
  outputs: Readonly<Record<string, string>>,
  region: string,
  account: string,
  requestId: string,
): void {
  const members = Object.entries(outputs)
    .map(([key, value]) => `<member><OutputKey>${escapeXml(key)}</OutputKey><OutputValue>${escapeXml(value)}</OutputValue></member>`)
    .join('');
  const xml =
    '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>' +
    `<StackName>${escapeXml(name)}</StackName>` +
    `<StackId>arn:aws:cloudformation:${region}:${account}:stack/${escapeXml(name)}/${randomUUID()}</StackId>` +
    `<CreationTime>${new Date().toISOString()}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>` +
    `<Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`;
  res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(xml);
}

function writeQueryError(res: http.ServerResponse, error: ServiceError, requestId: string): void {
  const xml =
    '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>' +
    `<Code>${escapeXml(error.type)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  res.writeHead(error.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(xml);
}
