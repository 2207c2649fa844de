import { DynamoDbStore } from '../adapters/aws/dynamodb-store.ts';
import type { Config } from '../config/config.ts';

/**
 * The DynamoDB store both composition roots build the same way; a file of its own so that the
 * webhook, which has no store, never pulls in DynamoDB code.
 */
export function dynamoStore(config: Config): DynamoDbStore {
  return new DynamoDbStore({
    tableNames: config.tableNames,
    ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}),
  });
}
