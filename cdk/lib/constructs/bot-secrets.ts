import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { secretNamesUnder } from '../../../lambdas/config/secret-names.ts';

/** A BotFather token: `<bot id>:<35 characters>`. The generated placeholder never matches it. */
export const BOT_TOKEN_PATTERN = /^\d+:[A-Za-z0-9_-]{30,}$/;

export interface BotSecretsProps {
  key: IKey;
  /** First segment of the secret names: the stack name, so stacks in one account stay apart. */
  namePrefix: string;
}

/**
 * The Telegram secrets, in Secrets Manager as `<stack name>/telegram/bot-token` and
 * `<stack name>/telegram/webhook-secret`. Both values are generated, so no value sits in the
 * template: the bot token starts as a random placeholder that is not a BotFather token (the
 * operator replaces it with put-secret-value; `npm run doctor` tells them apart); the webhook
 * secret token is 64 characters of A-Za-z0-9, inside Telegram's secret_token alphabet (1-256 of
 * A-Za-z0-9_-).
 *
 * Both are destroyed with the stack: CloudFormation deletes a secret without a recovery window,
 * so a destroyed stack can be deployed again under the same name (a retained secret would block
 * that name). The bot token is reissued in BotFather and put again after such a redeploy.
 */
export class BotSecrets extends Construct {
  readonly botToken: Secret;
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: BotSecretsProps) {
    super(scope, id);
    const names = secretNamesUnder(props.namePrefix);
    this.botToken = new Secret(this, 'BotToken', {
      secretName: names.botToken,
      description:
        'Telegram bot token from BotFather. Holds a generated placeholder until you put-secret-value the real token.',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.botToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A Telegram bot token can only be reissued by a human in BotFather (/revoke); there is no API a rotation Lambda could call, so the operator rotates it by hand with put-secret-value.',
    });

    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      secretName: names.webhookSecret,
      description: 'Telegram webhook secret_token, checked against X-Telegram-Bot-Api-Secret-Token.',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A new webhook secret_token must be sent to Telegram with setWebhook in the same step or every update is rejected with 401; a Secrets Manager schedule cannot do that, so rotation is an operator step.',
    });
  }
}
