import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { TABLES } from '../../lambdas/config/tables.ts';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';
import { startAwsJsonServer } from '../../tests/support/aws-json-server.ts';
import { ensureTables, startDynalite } from '../local-stack/dynalite-server.ts';

/**
 * What both handlers talk to during the bench, all on loopback in the bench's own process (the
 * handlers run in child processes): one in-memory dynalite, a fake SQS (the contract tests' AWS
 * JSON server) and a Telegram "tripwire" that counts any connection, since none may happen.
 */
export interface BenchServices {
  dynamoEndpoint: string;
  queueUrl: string;
  sqsEndpoint: string;
  telegramApiRoot: string;
  tableNames: Record<TableName, string>;
  baselineTable: string;
  sqsSends(): number;
  telegramConnections(): number;
  countItems(table: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchServices(prefix: string): Promise<BenchServices> {
  const dynalite = await startDynalite(undefined);
  const tableNames = Object.fromEntries(TABLES.map((t) => [t.name, `${prefix}${t.name}`])) as Record<
    TableName,
    string
  >;
  await ensureTables(dynalite.endpoint, tableNames);
  const baselineTable = `${prefix}baseline-updates`;
  const dynamo = new DynamoDBClient({ endpoint: dynalite.endpoint });
  await dynamo.send(
    new CreateTableCommand({
      TableName: baselineTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );

  const sqs = await startAwsJsonServer();
  let sends = 0;
  sqs.handle({
    'AmazonSQS.SendMessage': (body) => {
      sends++;
      return {
        MessageId: randomUUID(),
        // The SDK checks this against the body it sent.
        MD5OfMessageBody: createHash('md5').update(String(body.MessageBody), 'utf8').digest('hex'),
        SequenceNumber: String(sends).padStart(20, '0'),
      };
    },
  });

  let telegramConnections = 0;
  const tripwire = createServer((_request, response) => {
    response.writeHead(502).end();
  });
  tripwire.on('connection', () => {
    telegramConnections++;
  });
  await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve));
  const telegramPort = (tripwire.address() as AddressInfo).port;

  return {
    dynamoEndpoint: dynalite.endpoint,
    queueUrl: `${sqs.endpoint}/000000000000/bench-updates.fifo`,
    sqsEndpoint: sqs.endpoint,
    telegramApiRoot: `http://127.0.0.1:${telegramPort}`,
    tableNames,
    baselineTable,
    sqsSends: () => sends,
    telegramConnections: () => telegramConnections,
    countItems: async (table) => {
      let count = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(
          new ScanCommand({
            TableName: table,
            Select: 'COUNT',
            ...(startKey ? { ExclusiveStartKey: startKey as never } : {}),
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return count;
    },
    stop: async () => {
      dynamo.destroy();
      tripwire.closeAllConnections();
      await new Promise<void>((resolve) => tripwire.close(() => resolve()));
      await sqs.close();
      await dynalite.stop();
    },
  };
}
