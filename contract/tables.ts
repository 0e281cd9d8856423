/** Attribute names of the tables the constructs create and the runtime reads and writes. */

export const RATE_LIMIT_TABLE = {
  /** Partition key: `<namespace>#<hashed caller>#<window index>`. */
  partitionKey: 'pk',
  /** Epoch seconds after which DynamoDB may delete the item. */
  timeToLive: 'expiresAt',
  /** The request counter of one window (atomic `ADD`). */
  requests: 'requests',
} as const;

export const CHAT_HISTORY_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** The index of a user's chats by last update. */
  byUpdatedIndex: 'byUpdated',
  byUpdatedPartitionKey: 'byUpdatedPk',
  byUpdatedSortKey: 'byUpdatedSk',
  /** Header attributes the index projects. */
  projected: ['title', 'createdAt', 'updatedAt', 'turns'],
} as const;
