import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { Bot, webhookCallback } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';

/**
 * The bench's BASELINE: the least a durable Telegram webhook can do. grammY checks the secret
 * token, and the update is stored with one unconditional PutItem before the 200. No config
 * validation, no secrets store (values come from the environment), no dedup, no queue, no logger.
 * Bundled and measured exactly like lambdas/handlers/webhook.ts.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const token = required('BASELINE_BOT_TOKEN');
const secretToken = required('BASELINE_WEBHOOK_SECRET');
const tableName = required('BASELINE_TABLE');
const endpoint = process.env.DYNAMODB_ENDPOINT;

const dynamo = new DynamoDBClient(endpoint ? { endpoint } : {});

const botInfo = {
  id: Number(token.split(':', 1)[0]),
  is_bot: true,
  first_name: 'baseline',
  username: 'baseline_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

const bot = new Bot(token, { botInfo });
bot.use(async (ctx) => {
  await dynamo.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        pk: { S: `UPDATE#${ctx.update.update_id}` },
        sk: { S: 'UPDATE' },
        body: { S: JSON.stringify(ctx.update) },
      },
    }),
  );
});

const callback = webhookCallback(bot, 'aws-lambda-async', { secretToken });

export const handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> =>
  // grammY types this adapter as Promise<void>; at run time it resolves to the HTTP response.
  callback(event, context) as unknown as Promise<APIGatewayProxyStructuredResultV2>;
