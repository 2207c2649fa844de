import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SECRET_NAMES } from '../../../lambdas/config/secret-names.ts';

/** The value the bot token holds until the operator puts the real one. */
export const BOT_TOKEN_PLACEHOLDER = 'REPLACE_ME_WITH_THE_BOTFATHER_TOKEN';

/**
 * The Telegram secrets, in Secrets Manager under the names the Lambdas default to. The bot token
 * starts as a placeholder that the operator replaces (`aws secretsmanager put-secret-value`); the
 * webhook secret token is generated: 64 characters of A-Za-z0-9, inside Telegram's secret_token
 * alphabet (1-256 of A-Za-z0-9_-).
 */
export class BotSecrets extends Construct {
  readonly botToken: Secret;
  readonly webhookSecret: Secret;

  constructor(scope: Construct, id: string, props: { key: IKey }) {
    super(scope, id);
    this.botToken = new Secret(this, 'BotToken', {
      secretName: SECRET_NAMES.botToken,
      description: 'Telegram bot token from BotFather. Replace the placeholder with put-secret-value.',
      encryptionKey: props.key,
      secretStringValue: SecretValue.unsafePlainText(BOT_TOKEN_PLACEHOLDER),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.botToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A Telegram bot token can only be reissued by a human in BotFather (/revoke); there is no API a rotation Lambda could call, so the operator rotates it by hand with put-secret-value.',
    });

    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      secretName: SECRET_NAMES.webhookSecret,
      description: 'Telegram webhook secret_token, checked against X-Telegram-Bot-Api-Secret-Token.',
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.webhookSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A new webhook secret_token must be sent to Telegram with setWebhook in the same step or every update is rejected with 401; a Secrets Manager schedule cannot do that, so rotation is an operator step.',
    });
  }
}
