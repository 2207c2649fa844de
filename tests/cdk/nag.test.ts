import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp, STACK_NAME } from '../../cdk/lib/build-app.ts';
import { type Acknowledgement, listAcknowledgements, readFindings } from '../../cdk/lib/nag-report.ts';

// The CI case: no context at all, real bundling, the full synth with cdk-nag's checks.
let built: BuiltApp;
let assembly: CloudAssembly;
let acks: Acknowledgement[];

beforeAll(() => {
  built = buildApp();
  assembly = built.app.synth();
  acks = listAcknowledgements(built.app);
});

/** Findings as if nothing were acknowledged (cdk-nag's check is private; this test bypasses it). */
function rawFindings(): { rule: string; path: string }[] {
  const pack = new AwsSolutionsChecks();
  Object.assign(pack, { isAcknowledged: () => false });
  return pack
    .validateScope(built.app)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })),
    );
}

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unacknowledged finding, warnings included', () => {
    expect(readFindings(assembly.directory)).toEqual(new Map());
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });

  it('acknowledges exactly these findings, each on the construct it concerns', () => {
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      'CodegenOrchestrator/FrontDoor/Api/POST--telegram--webhook AwsSolutions-APIG4',
      'CodegenOrchestrator/FrontDoor/Webhook/Function AwsSolutions-L1',
      'CodegenOrchestrator/FrontDoor/Webhook/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Secrets/BotToken AwsSolutions-SMG4',
      'CodegenOrchestrator/Secrets/WebhookSecret AwsSolutions-SMG4',
      'CodegenOrchestrator/UpdateQueue/Consumer/Function AwsSolutions-L1',
      'CodegenOrchestrator/UpdateQueue/Consumer/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
    ]);
  });

  it('gives every acknowledgement a specific reason and never a stack- or app-wide scope', () => {
    for (const ack of acks) {
      expect(ack.reason.trim().length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(20);
      expect(ack.path.split('/').length, `${ack.path} is too broad`).toBeGreaterThanOrEqual(3);
    }
  });

  it('has no stale acknowledgement: each one silences a real finding under its construct', () => {
    const findings = rawFindings();
    for (const ack of acks) {
      const silenced = findings.filter((f) => f.rule === ack.id && f.path.startsWith(`${ack.path}/`));
      expect(silenced.length, `${ack.path} ${ack.id}`).toBeGreaterThan(0);
    }
  });
});

describe('synth with no context (CI defaults)', () => {
  it('admits nobody and uses the default bot username', () => {
    const resources = Object.values(assembly.getStackByName(STACK_NAME).template.Resources) as {
      Type: string;
      Properties: { Environment?: { Variables: Record<string, unknown> } };
    }[];
    const envs = resources
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Environment);
    expect(envs).toHaveLength(2);
    for (const env of envs) {
      expect(env?.Variables).toMatchObject({
        ADMIN_TELEGRAM_IDS: '',
        TELEGRAM_BOT_USERNAME: 'codegen_orchestrator_bot',
      });
    }
  });

  it.each(['webhook', 'consumer'] as const)(
    'bundles the %s as ESM with source maps that Node can import',
    (name) => {
      const bundle = join(assembly.directory, assetDirOf(name), 'index.mjs');
      expect(readFileSync(bundle, 'utf8')).toMatch(/^import \{ createRequire as topLevelCreateRequire \}/);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      const probe = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(typeof m.handler);`;
      const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        encoding: 'utf8',
      });
      expect(output.trim()).toBe('function');
    },
  );
});

/** The staged asset directory of a function: the Code.S3Key's hash names it. */
function assetDirOf(name: 'webhook' | 'consumer'): string {
  const { stack } = built;
  const fn = name === 'webhook' ? stack.frontDoor.webhook.fn : stack.updateQueue.consumer.fn;
  const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
  const { S3Key } = assembly.getStackByName(STACK_NAME).template.Resources[logicalId].Properties.Code;
  return `asset.${String(S3Key).replace(/\.zip$/, '')}`;
}
