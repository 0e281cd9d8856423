/** Attribute names of the tables the constructs create and the runtime reads and writes. */

export const RATE_LIMIT_TABLE = {
  /** Partition key: `<namespace>#<hashed caller>#<window index>`. */
  partitionKey: 'pk',
  /** Epoch seconds after which DynamoDB may delete the item. */
  timeToLive: 'expiresAt',
  /** The request counter of one window (atomic `ADD`). */
  requests: 'requests',
  /** A caller's tokens of one UTC day (item `<namespace>#<caller>#day-<yyyy-mm-dd>`, atomic `ADD`). */
  tokens: 'tokens',
  /** A caller's estimated cost of one UTC day, in nano-dollars (whole numbers, so `ADD` stays exact). */
  costNanoUsd: 'costNanoUsd',
} as const;

/** The API key table: one item per key, keyed by the SHA-256 of the key (the key itself is never stored). */
export const API_KEY_TABLE = {
  /** Partition key: hex SHA-256 of the key. */
  partitionKey: 'keyHash',
  /** A unique label (`--name`). */
  name: 'name',
  owner: 'owner',
  /** ISO 8601. */
  createdAt: 'createdAt',
  /** Epoch seconds after which the key is refused; absent: no expiry. */
  expiresAt: 'expiresAt',
  /** true: revoked or suspended; the key is refused. */
  disabled: 'disabled',
  /** The key's own limits, overriding the function's. */
  requestsPerMinute: 'requestsPerMinute',
  tokensPerDay: 'tokensPerDay',
  costPerDayUsd: 'costPerDayUsd',
} as const;

/** What an API key looks like: a prefix, then 43 characters of base64url (32 random bytes). */
export const API_KEY_PREFIX = 'sk-bc-';

export const CHAT_HISTORY_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** The index of a user's chats by last update. */
  byUpdatedIndex: 'byUpdated',
  byUpdatedPartitionKey: 'byUpdatedPk',
  byUpdatedSortKey: 'byUpdatedSk',
  /**
   * Epoch seconds after which DynamoDB may delete the item (the table's TTL attribute), written on every header and
   * turn when the function has a retention (`HISTORY_RETENTION_DAYS`): a turn expires that long after it was written,
   * a chat's header that long after its last turn.
   */
  timeToLive: 'expiresAt',
  /** Header attributes the index projects. */
  projected: ['title', 'createdAt', 'updatedAt', 'turns'],
} as const;
