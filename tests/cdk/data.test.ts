import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretNamesUnder } from '../../lambdas/config/secret-names.ts';
import { TABLES } from '../../lambdas/config/tables.ts';
import { arnOf, type Synthesized, synthesize, TEST_CONTEXT } from './support/synth.ts';

let s: Synthesized;

beforeAll(() => {
  s = synthesize();
});

describe('tables', () => {
  it.each(TABLES.map((t) => t.name))(
    '%s: pk/sk strings, TTL on expiresAt, PITR, on-demand, encrypted, retained and deletion-protected',
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
          DeletionProtectionEnabled: true,
        },
      });
      expect(Object.keys(table)).toContain(id);
    },
  );
});

describe('secrets', () => {
  const key = () => arnOf(s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key')));
  const names = secretNamesUnder('CodegenOrchestrator');

  it("names both secrets under the stack's name, so two stacks in one account never share one", () => {
    expect(names).toEqual({
      botToken: 'CodegenOrchestrator/telegram/bot-token',
      webhookSecret: 'CodegenOrchestrator/telegram/webhook-secret',
    });
    const other = synthesize({ context: { ...TEST_CONTEXT, stackName: 'OrchestratorStaging' } });
    other.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'OrchestratorStaging/telegram/bot-token',
    });
    other.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'OrchestratorStaging/telegram/webhook-secret',
    });
  });

  it('generates the bot token placeholder: no value in the template, and never shaped like a BotFather token', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: names.botToken,
      KmsKeyId: key(),
      // 32 letters and digits: no ":", so BOT_TOKEN_PATTERN (and the doctor) reads it as "not set".
      GenerateSecretString: { PasswordLength: 32, ExcludePunctuation: true, IncludeSpace: false },
    });
    const secret = s.template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: names.botToken },
    });
    expect(Object.values(secret)[0]?.Properties).not.toHaveProperty('SecretString');
  });

  it("deletes the stack's secrets with it (Telegram's two, the GitHub App key), so a destroyed stack can be deployed again under its name", () => {
    const secrets = s.template.findResources('AWS::SecretsManager::Secret');
    expect(Object.values(secrets).map((r) => r.DeletionPolicy)).toEqual(['Delete', 'Delete', 'Delete']);
  });

  it("generates the webhook secret token: 64 chars of A-Za-z0-9, inside Telegram's secret_token rule", () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: names.webhookSecret,
      KmsKeyId: key(),
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
    const secret = s.template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: names.webhookSecret },
    });
    expect(Object.values(secret)[0]?.Properties).not.toHaveProperty('SecretString');
  });

  it('encrypts with a customer-managed key that rotates', () => {
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});
