import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CfnElement } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp, STACK_NAME } from '../../cdk/lib/build-app.ts';
import { type Acknowledgement, listAcknowledgements, readFindings } from '../../cdk/lib/nag-report.ts';
import { REPO_ROOT } from '../../cdk/lib/paths.ts';
import {
  INSPECTOR_ASSET_DIR,
  INSPECTOR_ASSET_FILES,
  INSPECTOR_GRAPHS_FILE,
} from '../../lambdas/inspector/bundled-assets.ts';
import { pipelineGraphs } from '../../lambdas/inspector/pipeline-graphs.ts';
import { bundleLambda, LAMBDA_BUNDLE_OPTIONS, packageOf } from '../../scripts/bench/bundle.ts';

/** What the issue allows the webhook's index.mjs: Telegram waits on its cold start. */
const WEBHOOK_BUNDLE_BUDGET_BYTES = 300_000;

/** The least an operator provides: a Region and one admin. */
const MINIMAL_INPUTS = { region: 'us-east-1', adminTelegramIds: '111' };

// The CI case: the minimal inputs, real bundling, the full synth with cdk-nag's checks.
let built: BuiltApp;
let assembly: CloudAssembly;
let acks: Acknowledgement[];

/**
 * CDK's own acknowledgements of cfn-lint rules, not ours, and never cdk-nag findings: reading
 * `stack.availabilityZones` (the worker VPC does) acknowledges W3010 (hard-coded AZs; with a Region
 * but no account they are `Fn::GetAZs`, not literals), and a flow log to CloudWatch Logs
 * acknowledges F3002/F3003 (schema checks of its DeliverLogsPermissionArn and log group).
 */
const CDK_CORE_ACKS = [
  'CodegenOrchestrator CloudFormation-Validate::W3010',
  'CodegenOrchestrator/Engineering/Workers/Vpc/FlowLog CloudFormation-Validate::F3002',
  'CodegenOrchestrator/Engineering/Workers/Vpc/FlowLog CloudFormation-Validate::F3003',
];
const isCdkCoreAck = (a: Acknowledgement) => a.id.startsWith('CloudFormation-Validate::');

beforeAll(() => {
  built = buildApp(MINIMAL_INPUTS, undefined, { operatorFile: null });
  assembly = built.app.synth();
  acks = listAcknowledgements(built.app).filter((a) => !isCdkCoreAck(a));
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
    const core = listAcknowledgements(built.app).filter(isCdkCoreAck);
    expect(core.map((a) => `${a.path} ${a.id}`).sort()).toEqual(CDK_CORE_ACKS);
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      'CodegenOrchestrator/AdminApi/Api/GET--inspector AwsSolutions-APIG4',
      'CodegenOrchestrator/AdminApi/Api/GET--inspector--inspector.css AwsSolutions-APIG4',
      'CodegenOrchestrator/AdminApi/Api/GET--inspector--inspector.js AwsSolutions-APIG4',
      'CodegenOrchestrator/AdminApi/Api/GET--openapi.json AwsSolutions-APIG4',
      'CodegenOrchestrator/AdminApi/Authorizer/Function AwsSolutions-L1',
      'CodegenOrchestrator/AdminApi/Authorizer/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/AdminApi/Handler/DevopsPipeline AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/AdminApi/Handler/DevopsPipeline AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*]',
      'CodegenOrchestrator/AdminApi/Handler/DevopsStops AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*]',
      'CodegenOrchestrator/AdminApi/Handler/EngineeringPipeline AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/AdminApi/Handler/EngineeringPipeline AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-engineering:*]',
      'CodegenOrchestrator/AdminApi/Handler/EngineeringStops AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-engineering:*]',
      'CodegenOrchestrator/AdminApi/Handler/Function AwsSolutions-L1',
      'CodegenOrchestrator/AdminApi/Handler/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/AlarmNotifier/Notifier/Function AwsSolutions-L1',
      'CodegenOrchestrator/AlarmNotifier/Notifier/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/AllocateResources/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/AllocateResources/ProjectSecretKey AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/projects/*/TELEGRAM_BOT_TOKEN-??????]',
      'CodegenOrchestrator/Devops/AllocateResources/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/AnalyseEnv/BedrockModels AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0]',
      'CodegenOrchestrator/Devops/AnalyseEnv/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/AnalyseEnv/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/AskForSecret/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/AskForSecret/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/DeployContext/DeploySecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/bot-pool/*/token-??????]',
      'CodegenOrchestrator/Devops/DeployContext/DeploySecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/projects/*]',
      'CodegenOrchestrator/Devops/DeployContext/DeploySecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/servers/*/ssh-key-??????]',
      'CodegenOrchestrator/Devops/DeployContext/DevopsRuns AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*]',
      'CodegenOrchestrator/Devops/DeployContext/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/DeployContext/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/Deployer/TaskDefinition AwsSolutions-ECS2',
      'CodegenOrchestrator/Devops/Deployer/TaskDefinition/ExecutionRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/Deployer/TaskDefinition/TaskRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/PrepareSecrets/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/PrepareSecrets/ProjectSecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/projects/*]',
      'CodegenOrchestrator/Devops/PrepareSecrets/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/RecordRelease/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/RecordRelease/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/SmokeTest/Function AwsSolutions-L1',
      'CodegenOrchestrator/Devops/SmokeTest/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Devops/StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Analyst/BedrockModels AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0]',
      'CodegenOrchestrator/Engineering/Analyst/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/Analyst/ProjectKnowledge AwsSolutions-IAM5[Resource::<KnowledgeKeywordIndexes6E9800EB.Arn>/knowledge/*]',
      'CodegenOrchestrator/Engineering/Analyst/ProjectKnowledge AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3vectors:<AWS::Region>:<AWS::AccountId>:bucket/codegenorchestrator-knowledge/index/k1-*]',
      'CodegenOrchestrator/Engineering/Analyst/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Architect/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/Architect/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/AskBudget/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/AskBudget/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/CheckBudget/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/CheckBudget/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Escalate/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/Escalate/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/GitHubAppPrivateKey AwsSolutions-SMG4',
      'CodegenOrchestrator/Engineering/IndexKnowledge/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/IndexKnowledge/ProjectKnowledge AwsSolutions-IAM5[Resource::<KnowledgeKeywordIndexes6E9800EB.Arn>/knowledge/*]',
      'CodegenOrchestrator/Engineering/IndexKnowledge/ProjectKnowledge AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3vectors:<AWS::Region>:<AWS::AccountId>:bucket/codegenorchestrator-knowledge/index/k1-*]',
      'CodegenOrchestrator/Engineering/IndexKnowledge/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/JobContext/EngineeringRuns AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-engineering:*]',
      'CodegenOrchestrator/Engineering/JobContext/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/JobContext/ProjectKnowledge AwsSolutions-IAM5[Resource::<KnowledgeKeywordIndexes6E9800EB.Arn>/knowledge/*]',
      'CodegenOrchestrator/Engineering/JobContext/ProjectKnowledge AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3vectors:<AWS::Region>:<AWS::AccountId>:bucket/codegenorchestrator-knowledge/index/k1-*]',
      'CodegenOrchestrator/Engineering/JobContext/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/NotifyOwner/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/NotifyOwner/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/RecordAttempt/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/RecordAttempt/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/StartDeploy/DevopsStarts AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*]',
      'CodegenOrchestrator/Engineering/StartDeploy/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/StartDeploy/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/StateMachine/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/StopWorkers/Function AwsSolutions-L1',
      'CodegenOrchestrator/Engineering/StopWorkers/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/StopWorkers/WorkerTasks AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/StopWorkers/WorkerTasks AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/CodegenOrchestrator-workers/*]',
      'CodegenOrchestrator/Engineering/Workers/CodingWorker AwsSolutions-ECS2',
      'CodegenOrchestrator/Engineering/Workers/CodingWorker/BedrockModels AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Workers/CodingWorker/BedrockModels AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0]',
      'CodegenOrchestrator/Engineering/Workers/CodingWorker/ExecutionRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Workers/CodingWorker/TaskRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Workers/Tester AwsSolutions-ECS2',
      'CodegenOrchestrator/Engineering/Workers/Tester/ExecutionRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Engineering/Workers/Tester/TaskRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/FrontDoor/Api/POST--telegram--webhook AwsSolutions-APIG4',
      'CodegenOrchestrator/FrontDoor/Webhook/Function AwsSolutions-L1',
      'CodegenOrchestrator/FrontDoor/Webhook/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Jobs/DeadLetters AwsSolutions-SQS3',
      'CodegenOrchestrator/Jobs/HealthCheck/DevopsPipeline AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Jobs/HealthCheck/DevopsPipeline AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*]',
      'CodegenOrchestrator/Jobs/HealthCheck/EngineeringPipeline AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Jobs/HealthCheck/EngineeringPipeline AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-engineering:*]',
      'CodegenOrchestrator/Jobs/HealthCheck/Function AwsSolutions-L1',
      'CodegenOrchestrator/Jobs/HealthCheck/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Jobs/RepositorySync/Function AwsSolutions-L1',
      'CodegenOrchestrator/Jobs/RepositorySync/ProjectKnowledge AwsSolutions-IAM5[Resource::<KnowledgeKeywordIndexes6E9800EB.Arn>/knowledge/*]',
      'CodegenOrchestrator/Jobs/RepositorySync/ProjectKnowledge AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3vectors:<AWS::Region>:<AWS::AccountId>:bucket/codegenorchestrator-knowledge/index/k1-*]',
      'CodegenOrchestrator/Jobs/RepositorySync/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/Knowledge/KeywordIndexes AwsSolutions-S1',
      'CodegenOrchestrator/Reminders/ConsumerSchedules AwsSolutions-IAM5[Resource::arn:aws:scheduler:us-east-1:<AWS::AccountId>:schedule/CodegenOrchestrator-reminders/*]',
      'CodegenOrchestrator/Secrets/BotToken AwsSolutions-SMG4',
      'CodegenOrchestrator/Secrets/WebhookSecret AwsSolutions-SMG4',
      'CodegenOrchestrator/UpdateQueue/Consumer/BedrockModels AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/amazon.nova-lite-v1:0]',
      'CodegenOrchestrator/UpdateQueue/Consumer/BedrockModels AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0]',
      'CodegenOrchestrator/UpdateQueue/Consumer/DevopsPipeline AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/DevopsPipeline AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/EngineeringPipeline AwsSolutions-IAM5[Resource::*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/EngineeringPipeline AwsSolutions-IAM5[Resource::arn:aws:states:us-east-1:<AWS::AccountId>:execution:CodegenOrchestrator-engineering:*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/Function AwsSolutions-L1',
      'CodegenOrchestrator/UpdateQueue/Consumer/ProjectKnowledge AwsSolutions-IAM5[Resource::<KnowledgeKeywordIndexes6E9800EB.Arn>/knowledge/*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/ProjectKnowledge AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3vectors:<AWS::Region>:<AWS::AccountId>:bucket/codegenorchestrator-knowledge/index/k1-*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/ProjectSecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/bot-pool/*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/ProjectSecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/chat-secrets/*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/ProjectSecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/projects/*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/ProjectSecrets AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/servers/*]',
      'CodegenOrchestrator/UpdateQueue/Consumer/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
    ]);
  });

  it('stays clean with plain foundation model ids, which need no wildcard and so no acknowledgement', () => {
    const other = buildApp(
      {
        ...MINIMAL_INPUTS,
        bedrockIntentModelId: 'amazon.nova-lite-v1:0',
        bedrockAgentModelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
        'aws:cdk:bundling-stacks': [],
      },
      undefined,
      { operatorFile: null },
    );
    expect(new AwsSolutionsChecks().validateScope(other.app).violations).toEqual([]);
    expect(listAcknowledgements(other.app).filter((a) => a.id.includes('bedrock'))).toEqual([]);
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

describe('synth with the minimal inputs (CI)', () => {
  it('refuses to synth with no inputs at all: no Region, no admin', () => {
    expect(() => buildApp({ 'aws:cdk:bundling-stacks': [] }, undefined, { operatorFile: null })).toThrow(
      /region: required[\s\S]*adminTelegramIds: at least one admin is required/,
    );
  });

  it('admits the one admin and uses the default bot username', () => {
    const resources = Object.values(assembly.getStackByName(STACK_NAME).template.Resources) as {
      Type: string;
      Properties: { Environment?: { Variables: Record<string, unknown> } };
    }[];
    const envs = resources
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => r.Properties.Environment);
    // The webhook, the consumer, the engineering (with its knowledge indexing) and devops steps,
    // the two scheduled jobs, the alarm notifier, and the admin API's handler and authorizer.
    expect(envs).toHaveLength(25);
    for (const env of envs) {
      expect(env?.Variables).toMatchObject({
        ADMIN_TELEGRAM_IDS: '111',
        TELEGRAM_BOT_USERNAME: 'codegen_orchestrator_bot',
      });
    }
  });

  it.each(['webhook', 'consumer'] as const)(
    'bundles the %s as ESM with source maps that Node can import',
    (name) => {
      // The webhook imports the AWS SDK the Lambda runtime ships; the repo's copy stands in for it.
      const runtimeSdk = join(assembly.directory, 'node_modules');
      if (!existsSync(runtimeSdk)) {
        mkdirSync(runtimeSdk);
        for (const scope of ['@aws-sdk', '@smithy']) {
          symlinkSync(join(REPO_ROOT, 'node_modules', scope), join(runtimeSdk, scope), 'dir');
        }
      }
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

describe('admin API bundle', () => {
  it('carries the run inspector page beside the handler, which serves it without a key', () => {
    // Prepare: the page as the bundling hook built it, and the bundled handler
    const dir = join(assembly.directory, assetDirOf('adminApi'));
    const built = Object.fromEntries(
      Object.entries(INSPECTOR_ASSET_FILES).map(([part, file]) => [
        part,
        readFileSync(join(dir, INSPECTOR_ASSET_DIR, file), 'utf8'),
      ]),
    );
    expect(built.html).toContain('{{base}}/inspector.js');
    expect(built.script).toContain('sessionStorage');
    expect(built.script).not.toMatch(/^import\s/m);
    expect(built.style).toContain('.key-form');
    // The graphs laid out at bundling time: the bundle carries neither dagre nor the ASL files
    const graphs = JSON.parse(readFileSync(join(dir, INSPECTOR_ASSET_DIR, INSPECTOR_GRAPHS_FILE), 'utf8'));
    expect(graphs).toEqual(JSON.parse(JSON.stringify(pipelineGraphs())));
    // dagre's timing labels survive minification: none in the handler's bundle
    expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).not.toContain('makeSpaceForEdgeLabels');
    const bundle = pathToFileURL(join(dir, 'index.mjs')).href;
    const probe = `
      const { handler } = await import(${JSON.stringify(bundle)});
      const context = { awsRequestId: 'probe', functionName: 'admin-api', getRemainingTimeInMillis: () => 25000 };
      const get = (path) => handler({ version: '2.0', rawPath: path, rawQueryString: '', headers: {},
        requestContext: { requestId: 'probe', http: { method: 'GET', path } } }, context);
      const answers = [await get('/inspector'), await get('/inspector/inspector.js')];
      process.stdout.write('\\nANSWERS ' + JSON.stringify(answers));`;

    // Act: no configuration in the environment, so nothing but the page may be served
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', POWERTOOLS_DEV: 'false' },
    });

    // Assess
    const [page, script] = JSON.parse(output.split('\nANSWERS ')[1] ?? '[]') as Array<{
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    }>;
    expect(page?.statusCode).toBe(200);
    expect(page?.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page?.body).toContain('<script type="module" src="/inspector/inspector.js">');
    expect(script?.body).toBe(built.script);
  });
});

describe('bundle contents', () => {
  /** Packages a bundle imports rather than carries (esbuild parses it: strings do not count). */
  const externalsOf = async (name: 'webhook' | 'consumer'): Promise<string[]> => {
    const file = join(assembly.directory, assetDirOf(name), 'index.mjs');
    const { metafile } = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports);
    const packages = imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path);
    return [...new Set(packages)].sort();
  };
  const bundleOf = (name: 'webhook' | 'consumer') =>
    readFileSync(join(assembly.directory, assetDirOf(name), 'index.mjs'), 'utf8');

  /** Bytes per package in the webhook bundle, rebuilt with the options CDK bundled it with. */
  const webhookPackageBytes = async (): Promise<Map<string, number>> => {
    const { metafile } = await build({
      ...built.stack.frontDoor.webhook.esbuildOptions,
      entryPoints: [join(REPO_ROOT, 'lambdas/handlers/webhook.ts')],
      write: false,
      outfile: join(REPO_ROOT, '.bench/size/index.mjs'),
      metafile: true,
      logLevel: 'silent',
    });
    const bytes = new Map<string, number>();
    for (const output of Object.values(metafile.outputs)) {
      for (const [path, input] of Object.entries(output.inputs)) {
        const name = packageOf(path);
        bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
      }
    }
    return bytes;
  };

  it(`keeps the webhook bundle within ${WEBHOOK_BUNDLE_BUDGET_BYTES / 1000} KB, with no DynamoDB code in it`, async () => {
    const bytes = statSync(join(assembly.directory, assetDirOf('webhook'), 'index.mjs')).size;
    // The one-call webhook (SendMessage only) has no store: no document client, no marshalling.
    const packages = await webhookPackageBytes();
    expect([...packages.keys()].filter((name) => name.includes('dynamodb'))).toEqual([]);
    expect(bytes, `webhook index.mjs is ${bytes} bytes`).toBeLessThanOrEqual(WEBHOOK_BUNDLE_BUDGET_BYTES);
  });

  it('bundles the webhook with exactly the options the bench uses (one shared esbuild options object)', async () => {
    expect(built.stack.frontDoor.webhook.esbuildOptions).toEqual(LAMBDA_BUNDLE_OPTIONS);
    const outdir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
    await bundleLambda(join(REPO_ROOT, 'lambdas/handlers/webhook.ts'), join(outdir, 'index.mjs'));
    // Byte for byte what CDK staged: the bench measures what deploys.
    expect(readFileSync(join(outdir, 'index.mjs'), 'utf8')).toBe(bundleOf('webhook'));
  });

  it("leaves only the service clients to the webhook's runtime and carries none of their code", async () => {
    const code = bundleOf('webhook');
    const externals = await externalsOf('webhook');
    expect(externals.filter((sp) => !sp.startsWith('@aws-sdk/client-'))).toEqual([]);
    expect(externals).toContain('@aws-sdk/client-sqs');
    // DynamoDB's JSON protocol target prefix: present wherever the client's code is.
    expect(code).not.toContain('DynamoDB_20120810');
    expect(code).not.toContain('AmazonSQS');
  });

  it.each(['webhook', 'consumer'] as const)(
    'never leaves @aws-sdk/lib-dynamodb to the Lambda runtime in the %s: the runtime does not promise it',
    async (name) => {
      const externals = await externalsOf(name);
      expect(externals).not.toContain('@aws-sdk/lib-dynamodb');
      expect(externals).not.toContain('@aws-sdk/util-dynamodb');
      // The consumer uses the document client: its code is in the bundle (a string it keeps minified).
      if (name === 'consumer') expect(bundleOf(name)).toContain('DocumentMarshall');
    },
  );

  it('bundles the SDK into the consumer, Bedrock Runtime (Converse) included', async () => {
    const code = bundleOf('consumer');
    expect(await externalsOf('consumer')).toEqual([]);
    expect(code).toContain('AmazonBedrockFrontendService');
    expect(code).toContain('DynamoDB_20120810');
  });
});

/** The staged asset directory of a function: the Code.S3Key's hash names it. */
function assetDirOf(name: 'webhook' | 'consumer' | 'adminApi'): string {
  const { stack } = built;
  const fn = {
    webhook: stack.frontDoor.webhook.fn,
    consumer: stack.updateQueue.consumer.fn,
    adminApi: stack.adminApi.handler.fn,
  }[name];
  const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
  const { S3Key } = assembly.getStackByName(STACK_NAME).template.Resources[logicalId].Properties.Code;
  return `asset.${String(S3Key).replace(/\.zip$/, '')}`;
}
