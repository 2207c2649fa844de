/**
 * After `cdk deploy`: registers the deployed webhook URL with Telegram, with the secret token
 * Secrets Manager generated, so Telegram signs every update with it.
 *
 *   npm run register-webhook [-- --stack <name> --region <region>]
 *
 * Stack and Region default to `stackName` and `region` in operator.json (--operator-file).
 *
 * Reads the stack outputs and both secrets with the operator's AWS credentials; prints nothing
 * secret. Needs network access to AWS and api.telegram.org (not available on the dev sandbox).
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Api } from 'grammy';
import { operatorTarget } from './operator-target.ts';

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    region: { type: 'string' },
    'operator-file': { type: 'string' },
    'max-connections': { type: 'string', default: '40' },
  },
});

async function main(): Promise<void> {
  const { stack: stackName, region } = operatorTarget({
    stack: values.stack,
    region: values.region,
    operatorFile: values['operator-file'],
  });
  const cfn = new CloudFormationClient({ region });
  const secrets = new SecretsManagerClient({ region });
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  const output = (key: string) => {
    const value = stack?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`Stack ${stackName} has no output ${key}; deploy it first.`);
    return value;
  };
  const secret = async (arn: string) =>
    (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString ?? '';
  const token = await secret(output('BotTokenSecretArn'));
  if (!/^\d+:[A-Za-z0-9_-]{30,}$/.test(token)) {
    throw new Error('The bot token secret does not hold a BotFather token yet: put-secret-value it first.');
  }
  const webhookSecret = await secret(output('WebhookSecretArn'));
  const url = output('WebhookUrl');
  const api = new Api(token);
  await api.setWebhook(url, {
    secret_token: webhookSecret,
    max_connections: Number(values['max-connections']),
    allowed_updates: ['message', 'callback_query'],
    drop_pending_updates: false,
  });
  const info = await api.getWebhookInfo();
  console.log(`Webhook registered: ${info.url} (pending updates: ${info.pending_update_count})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
