/**
 * `npm run keys -- <command> --table NAME …`: API key administration against a deployed `ApiKeyTable` (the SDK's
 * default credential chain and region; `AWS_ENDPOINT_URL_DYNAMODB` for dynalite locally).
 *
 *   create --table T --name LABEL [--owner WHO] [--requests-per-minute N] [--tokens-per-day N] [--cost-per-day-usd X] [--expires-in-days N]
 *          prints the new key once, alone on the last line of standard output (only its SHA-256 is stored)
 *   list   --table T                     one line per key: name, owner, created, expiry, state, limits (never a key)
 *   revoke --table T --name LABEL        disables the key (refused within a minute everywhere)
 *   set-budget --table T --name LABEL [--requests-per-minute N] [--tokens-per-day N] [--cost-per-day-usd X] [--clear LIMIT]
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createKey, KeyAdminError, type KeyLimits, listKeys, revokeKey, setKeyLimits } from './api-keys';

const USAGE = `usage: npm run keys -- <create|list|revoke|set-budget> --table NAME [options]
  create     --name LABEL [--owner WHO] [--requests-per-minute N] [--tokens-per-day N] [--cost-per-day-usd X] [--expires-in-days N]
  list
  revoke     --name LABEL
  set-budget --name LABEL [--requests-per-minute N] [--tokens-per-day N] [--cost-per-day-usd X] [--clear requestsPerMinute|tokensPerDay|costPerDayUsd]`;

const FLAGS = ['table', 'name', 'owner', 'requests-per-minute', 'tokens-per-day', 'cost-per-day-usd', 'expires-in-days', 'clear'];

function parse(argv: readonly string[]): { command: string; flags: Map<string, string[]> } {
  const [command, ...rest] = argv;
  const flags = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] ?? '';
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !FLAGS.includes(name)) throw new KeyAdminError(`unknown argument '${flag}'\n${USAGE}`);
    const value = rest[++i];
    if (value === undefined) throw new KeyAdminError(`${flag} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command: command ?? '', flags };
}

function number(flags: Map<string, string[]>, name: string): number | undefined {
  const raw = flags.get(name)?.[0];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new KeyAdminError(`--${name} must be a number, got '${raw}'`);
  return value;
}

function required(flags: Map<string, string[]>, name: string): string {
  const value = flags.get(name)?.[0];
  if (!value) throw new KeyAdminError(`--${name} is required\n${USAGE}`);
  return value;
}

function limits(flags: Map<string, string[]>): KeyLimits {
  return {
    requestsPerMinute: number(flags, 'requests-per-minute'),
    tokensPerDay: number(flags, 'tokens-per-day'),
    costPerDayUsd: number(flags, 'cost-per-day-usd'),
  };
}

export async function runKeysCli(argv: readonly string[], out: (line: string) => void, client: DynamoDBClient): Promise<void> {
  const { command, flags } = parse(argv);
  const table = command === '' ? '' : required(flags, 'table');
  switch (command) {
    case 'create': {
      const name = required(flags, 'name');
      const key = await createKey(client, table, {
        name,
        owner: flags.get('owner')?.[0],
        expiresInDays: number(flags, 'expires-in-days'),
        ...limits(flags),
      });
      out(`Created the API key '${name}' in ${table}. It is shown once, now; only its SHA-256 is stored:`);
      out(key);
      return;
    }
    case 'list': {
      const keys = await listKeys(client, table);
      if (keys.length === 0) out(`No keys in ${table}.`);
      for (const k of keys) {
        const parts = [
          k.name,
          `hash ${k.hashPrefix}…`,
          k.owner ? `owner ${k.owner}` : undefined,
          `created ${k.createdAt}`,
          k.expiresAt ? `expires ${k.expiresAt}` : 'no expiry',
          k.disabled ? 'REVOKED' : 'active',
          k.requestsPerMinute !== undefined ? `${k.requestsPerMinute} requests/min` : undefined,
          k.tokensPerDay !== undefined ? `${k.tokensPerDay} tokens/day` : undefined,
          k.costPerDayUsd !== undefined ? `${k.costPerDayUsd} USD/day` : undefined,
        ];
        out(parts.filter((p) => p !== undefined).join('  '));
      }
      return;
    }
    case 'revoke': {
      const name = required(flags, 'name');
      await revokeKey(client, table, name);
      out(`Revoked the API key '${name}': it is refused from the next lookup (functions cache a key for at most a minute).`);
      return;
    }
    case 'set-budget': {
      const name = required(flags, 'name');
      const clear = (flags.get('clear') ?? []) as Array<keyof KeyLimits>;
      for (const c of clear)
        if (!['requestsPerMinute', 'tokensPerDay', 'costPerDayUsd'].includes(c))
          throw new KeyAdminError(`--clear takes requestsPerMinute, tokensPerDay or costPerDayUsd, got '${c}'`);
      await setKeyLimits(client, table, name, limits(flags), clear);
      out(`Updated the limits of the API key '${name}'.`);
      return;
    }
    default:
      throw new KeyAdminError(USAGE);
  }
}

/**
 * The command line around `runKeysCli`: the output lines go to `out`, an error's message (never a stack) to `err`, and
 * the result is the exit code (0, or 1 after an error).
 */
export async function keysCommand(
  argv: readonly string[],
  io: { out: (line: string) => void; err: (line: string) => void },
  client: DynamoDBClient,
): Promise<number> {
  try {
    await runKeysCli(argv, io.out, client);
    return 0;
  } catch (error: unknown) {
    io.err(error instanceof KeyAdminError ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return 1;
  }
}

if (require.main === module) {
  const client = new DynamoDBClient({});
  const write = (stream: NodeJS.WriteStream) => (line: string) => stream.write(`${line}\n`);
  keysCommand(process.argv.slice(2), { out: write(process.stdout), err: write(process.stderr) }, client)
    .then((code) => {
      process.exitCode = code;
    })
    .finally(() => client.destroy());
}
