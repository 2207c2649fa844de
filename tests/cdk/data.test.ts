import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOT_TOKEN_PLACEHOLDER } from '../../cdk/lib/constructs/bot-secrets.ts';
import { SECRET_NAMES } from '../../lambdas/config/secret-names.ts';
import { TABLES } from '../../lambdas/config/tables.ts';
import { arnOf, type Synthesized, synthesize } from './support/synth.ts';

let s: Synthesized;

beforeAll(() => {
  s = synthesize();
});

describe('tables', () => {
  it.each(TABLES.map((t) => t.name))(
    '%s: pk/sk strings, TTL on expiresAt, PITR, on-demand, encrypted, retained',
    (name) => {
      const id = s.logicalId(s.stack.tables.get(name));
      const table = s.template.findResources('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: Match.arrayWith([
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ]),
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          BillingMode: 'PAY_PER_REQUEST',
          SSESpecification: { SSEEnabled: true },
        },
      });
      expect(Object.keys(table)).toContain(id);
    },
  );
});

describe('secrets', () => {
  const key = () => arnOf(s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key')));

  it('creates the bot token as a placeholder under the name the Lambdas default to', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: SECRET_NAMES.botToken,
      SecretString: BOT_TOKEN_PLACEHOLDER,
      KmsKeyId: key(),
    });
  });

  it("generates the webhook secret token: 64 chars of A-Za-z0-9, inside Telegram's secret_token rule", () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: SECRET_NAMES.webhookSecret,
      KmsKeyId: key(),
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
    const secret = s.template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: SECRET_NAMES.webhookSecret },
    });
    expect(Object.values(secret)[0]?.Properties).not.toHaveProperty('SecretString');
  });

  it('encrypts with a customer-managed key that rotates', () => {
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});
