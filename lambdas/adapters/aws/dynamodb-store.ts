import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  type Item,
  type ItemKey,
  type KeyValueStore,
  type PutOptions,
  type QueryOptions,
  type QueryPage,
  type TableName,
} from '../../ports/key-value-store.ts';

export interface DynamoDbStoreOptions {
  tableNames: Record<TableName, string>;
  client?: DynamoDBDocumentClient;
  /** Endpoint override: the local stack points this same adapter at dynalite. */
  endpoint?: string;
  now?: () => number;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * KeyValueStore on DynamoDB. Expired items (TTL passed, not yet deleted) are filtered on every
 * read and count as absent in conditional writes, because DynamoDB deletes them only within days
 * and dynalite never does.
 */
export class DynamoDbStore implements KeyValueStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableNames: Record<TableName, string>;
  private readonly now: () => number;

  constructor(options: DynamoDbStoreOptions) {
    this.tableNames = options.tableNames;
    this.now = options.now ?? nowSeconds;
    this.doc =
      options.client ??
      DynamoDBDocumentClient.from(
        new DynamoDBClient(options.endpoint ? { endpoint: options.endpoint, maxAttempts: 3 } : {}),
        { marshallOptions: { removeUndefinedValues: true } },
      );
  }

  async get(table: TableName, key: ItemKey): Promise<Item | undefined> {
    const result = await this.doc.send(
      new GetCommand({
        TableName: this.tableNames[table],
        Key: { pk: key.pk, sk: key.sk },
        ConsistentRead: true,
      }),
    );
    const item = result.Item as Item | undefined;
    return item && this.isLive(item) ? item : undefined;
  }

  async put(table: TableName, item: Item, options: PutOptions = {}): Promise<void> {
    const conditions: string[] = [];
    const values: Record<string, unknown> = {};
    const names: Record<string, string> = {};
    if (options.ifAbsent) {
      conditions.push('(attribute_not_exists(pk) OR #expiresAt < :now)');
      names['#expiresAt'] = 'expiresAt';
      values[':now'] = this.now();
    }
    if (options.ifVersion !== undefined) {
      // An expired item is absent, so it has no version to match.
      conditions.push(
        '#version = :expectedVersion AND (attribute_not_exists(#expiresAt) OR #expiresAt >= :now)',
      );
      names['#version'] = 'version';
      names['#expiresAt'] = 'expiresAt';
      values[':expectedVersion'] = options.ifVersion;
      values[':now'] = this.now();
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableNames[table],
          Item: item,
          ...(conditions.length > 0
            ? {
                ConditionExpression: conditions.join(' AND '),
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              }
            : {}),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConditionFailedError(table, { pk: item.pk, sk: item.sk });
      }
      throw error;
    }
  }

  async delete(table: TableName, key: ItemKey): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableNames[table], Key: { pk: key.pk, sk: key.sk } }),
    );
  }

  async query(table: TableName, pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    const names: Record<string, string> = { '#pk': 'pk' };
    const values: Record<string, unknown> = { ':pk': pk };
    let keyCondition = '#pk = :pk';
    if (options.skBeginsWith !== undefined) {
      keyCondition += ' AND begins_with(#sk, :skPrefix)';
      names['#sk'] = 'sk';
      values[':skPrefix'] = options.skBeginsWith;
    }
    // Expired items are filtered after DynamoDB applied Limit, so keep reading until the page
    // has `limit` live items or the partition ends.
    const items: Item[] = [];
    let startKey = options.cursor ? decodeCursor(options.cursor) : undefined;
    let lastKey: Record<string, unknown> | undefined;
    do {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.tableNames[table],
          KeyConditionExpression: keyCondition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: !options.descending,
          ConsistentRead: true,
          ...(options.limit ? { Limit: options.limit - items.length } : {}),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...((result.Items ?? []) as Item[]).filter((item) => this.isLive(item)));
      lastKey = result.LastEvaluatedKey;
      startKey = lastKey;
    } while (options.limit && items.length < options.limit && lastKey);
    return { items, ...(lastKey ? { cursor: encodeCursor(lastKey) } : {}) };
  }

  async increment(table: TableName, key: ItemKey, deltas: Record<string, number>): Promise<void> {
    const entries = Object.entries(deltas);
    if (entries.length === 0) return;
    const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
    const values: Record<string, number> = {};
    const clauses = entries.map(([attribute, delta], index) => {
      names[`#a${index}`] = attribute;
      values[`:d${index}`] = delta;
      return `#a${index} :d${index}`;
    });
    const add = (now: number) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableNames[table],
          Key: { pk: key.pk, sk: key.sk },
          UpdateExpression: `ADD ${clauses.join(', ')}`,
          // Adding to an expired item would revive its old totals: count only onto live items.
          ConditionExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt >= :now',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':now': now },
        }),
      );
    try {
      await add(this.now());
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The item had expired: remove it (only if it is still expired) and count from nothing.
      await this.doc
        .send(
          new DeleteCommand({
            TableName: this.tableNames[table],
            Key: { pk: key.pk, sk: key.sk },
            ConditionExpression: '#expiresAt < :now',
            ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':now': this.now() },
          }),
        )
        .catch((deleteError: unknown) => {
          if (!(deleteError instanceof ConditionalCheckFailedException)) throw deleteError;
        });
      await add(this.now());
    }
  }

  private isLive(item: Item): boolean {
    return typeof item.expiresAt !== 'number' || item.expiresAt >= this.now();
  }
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
}
