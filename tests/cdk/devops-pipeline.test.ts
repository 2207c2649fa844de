import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEVOPS_ASL,
  DEVOPS_STEPS,
  type DevopsStep,
  ROLLED_BACK_ERROR,
  ROLLED_BACK_METRIC,
  ROLLED_BACK_STATE,
} from '../../cdk/lib/constructs/devops-pipeline.ts';
import { REPO_ROOT } from '../../cdk/lib/paths.ts';
import { METRICS_NAMESPACE } from '../../lambdas/ports/telemetry.ts';
import { actionsOn, allIdentityStatements, type Statement, statementsOfRole } from './support/iam.ts';
import { arnOf, ref, type Synthesized, synthesize, TEST_CONTEXT } from './support/synth.ts';

const GITHUB = { githubOrg: 'acme-builds', githubAppId: '123456', githubInstallationId: '7890123' };

/** An ARN as one string, `<AWS::Region>` for each Ref (as cdk-nag writes them). */
function joined(arn: unknown): string {
  if (typeof arn === 'string') return arn;
  const join = (arn as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(arn);
  return join[1].map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join(join[0]);
}

const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };
interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Error?: string;
}

const ASL_TEXT = readFileSync(`${REPO_ROOT}${DEVOPS_ASL}`, 'utf8');
const ASL = JSON.parse(ASL_TEXT) as { States: Record<string, AslState> };

const SECRET_ARN = 'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:';
const PROJECT_SECRETS = `${SECRET_ARN}CodegenOrchestrator/projects/*`;
const SERVER_KEYS = `${SECRET_ARN}CodegenOrchestrator/servers/*/ssh-key-??????`;
const POOL_TOKENS = `${SECRET_ARN}CodegenOrchestrator/bot-pool/*/token-??????`;
const DEVOPS_ARN = 'arn:aws:states:eu-west-1:<AWS::AccountId>:stateMachine:CodegenOrchestrator-devops';
const DEVOPS_EXECUTIONS = 'arn:aws:states:eu-west-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*';

let s: Synthesized;
let resources: Record<string, Resource>;

beforeAll(() => {
  s = synthesize({ context: { ...TEST_CONTEXT, ...GITHUB } });
  resources = s.template.toJSON().Resources as Record<string, Resource>;
});

const pipeline = () => s.stack.devops;
const engineering = () => s.stack.engineering;
const statementsOf = (step: DevopsStep) =>
  statementsOfRole(s.template, s.logicalId(pipeline().steps[step].role));
const envOf = (step: DevopsStep) =>
  (
    resources[s.logicalId(pipeline().steps[step].fn)]!.Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
const stateMachine = () => resources[s.logicalId(pipeline().stateMachine)] as Resource;
const smStatements = () => statementsOfRole(s.template, s.logicalId(pipeline().stateMachine.role));
const deployerRoleStatements = () =>
  statementsOfRole(s.template, s.logicalId(pipeline().deployer.taskDefinition.taskRole));
/** Statements whose actions touch Secrets Manager, resources as joined strings. */
const onSecrets = (statements: Statement[]) =>
  statements
    .filter((st) => st.actions.some((a) => a.startsWith('secretsmanager:')))
    .map((st) => ({ actions: [...st.actions].sort(), resources: st.resources.map(joined).sort() }));

/** The template's substitutions by placeholder, and the function each Lambda Task names. */
const substitutions = () => stateMachine().Properties.DefinitionSubstitutions as Record<string, unknown>;

describe('state machine', () => {
  it('is a Standard state machine with its name, logging ALL without execution data to its encrypted log group, and X-Ray', () => {
    const props = stateMachine().Properties;
    expect(props.StateMachineName).toBe('CodegenOrchestrator-devops');
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    const logGroup = s.logicalId(pipeline().logGroup);
    expect(props.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(logGroup) } }],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
    expect(resources[logGroup]?.Properties).toMatchObject({
      KmsKeyId: arnOf(s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key'))),
      RetentionInDays: 14,
    });
  });

  it('substitutes every placeholder of the ASL with the right resource, leaving no ${ behind', () => {
    const placeholders = [...new Set([...ASL_TEXT.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();
    expect(placeholders).toEqual(
      [
        'NotifyOwnerFunction',
        'CheckBudgetFunction',
        'AskBudgetFunction',
        'AnalyseEnvFunction',
        'PrepareSecretsFunction',
        'AskForSecretFunction',
        'AllocateResourcesFunction',
        'SmokeTestFunction',
        'RecordReleaseFunction',
        'StopWorkersFunction',
        'Cluster',
        'DeployerTaskDefinition',
        'SubnetA',
        'SubnetB',
        'WorkerSecurityGroup',
      ].sort(),
    );
    const fn = (step: DevopsStep) => arnOf(s.logicalId(pipeline().steps[step].fn));
    const { workers } = engineering();
    expect(substitutions()).toEqual({
      // Shared with the engineering pipeline.
      NotifyOwnerFunction: arnOf(s.logicalId(engineering().steps['notify-owner'].fn)),
      StopWorkersFunction: arnOf(s.logicalId(engineering().steps['stop-workers'].fn)),
      CheckBudgetFunction: arnOf(s.logicalId(engineering().steps['check-budget'].fn)),
      AskBudgetFunction: arnOf(s.logicalId(engineering().steps['ask-budget'].fn)),
      AnalyseEnvFunction: fn('analyse-env'),
      PrepareSecretsFunction: fn('prepare-secrets'),
      AskForSecretFunction: fn('ask-for-secret'),
      AllocateResourcesFunction: fn('allocate-resources'),
      SmokeTestFunction: fn('smoke-test'),
      RecordReleaseFunction: fn('record-release'),
      Cluster: arnOf(s.logicalId(workers.cluster)),
      DeployerTaskDefinition: ref(s.logicalId(pipeline().deployer.taskDefinition)),
      SubnetA: ref(s.logicalId(workers.vpc.publicSubnets[0]!)),
      SubnetB: ref(s.logicalId(workers.vpc.publicSubnets[1]!)),
      // The deployer's own group, not the engineering workers' (it needs SSH out).
      WorkerSecurityGroup: { 'Fn::GetAtt': [s.logicalId(pipeline().deployer.securityGroup), 'GroupId'] },
    });
    let definition = ASL_TEXT;
    for (const name of Object.keys(substitutions())) definition = definition.replaceAll(`\${${name}}`, 'X');
    expect(definition).not.toContain('${');
    expect(() => JSON.parse(definition)).not.toThrow();
  });

  it('gives every Task a TimeoutSeconds and every callback Task a HeartbeatSeconds under it', () => {
    const tasks = Object.entries(ASL.States).filter(([, st]) => st.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(12);
    for (const [name, st] of tasks) {
      expect(st.TimeoutSeconds, name).toBeGreaterThan(0);
      if (st.Resource?.endsWith('.waitForTaskToken')) {
        expect(st.HeartbeatSeconds, name).toBeGreaterThan(0);
        expect(st.HeartbeatSeconds!, name).toBeLessThan(st.TimeoutSeconds!);
      }
    }
    // The deployer heartbeats more often than the Task's HeartbeatSeconds allows it to miss.
    const [container] = (resources[s.logicalId(pipeline().deployer.taskDefinition)]!.Properties
      .ContainerDefinitions ?? []) as { Environment: { Name: string; Value: unknown }[] }[];
    const beat = Number(container?.Environment.find((e) => e.Name === 'HEARTBEAT_SECONDS')?.Value);
    for (const name of ['Deploy the release', 'Roll back to the previous release']) {
      expect(beat * 2, name).toBeLessThanOrEqual(ASL.States[name]!.HeartbeatSeconds!);
    }
  });

  it("sets each step Lambda's timeout under the TimeoutSeconds of every Task that invokes it", () => {
    const byArn = new Map<string, { name: string; timeout: number }>();
    const collect = (name: string, fn: { fn: unknown }) => {
      const id = s.logicalId(fn.fn as never);
      byArn.set(JSON.stringify(arnOf(id)), { name, timeout: resources[id]!.Properties.Timeout as number });
    };
    for (const step of DEVOPS_STEPS) collect(step, pipeline().steps[step]);
    collect('notify-owner', engineering().steps['notify-owner']);
    collect('stop-workers', engineering().steps['stop-workers']);
    collect('check-budget', engineering().steps['check-budget']);
    collect('ask-budget', engineering().steps['ask-budget']);
    let checked = 0;
    for (const [stateName, st] of Object.entries(ASL.States)) {
      const placeholder = /^\$\{(\w+)\}$/.exec(String(st.Parameters?.FunctionName ?? ''))?.[1];
      if (!placeholder) continue;
      const fn = byArn.get(JSON.stringify(substitutions()[placeholder]));
      expect(fn, stateName).toBeDefined();
      expect(fn!.timeout, `${stateName} (${fn!.name})`).toBeLessThan(st.TimeoutSeconds!);
      checked++;
    }
    // Six notify-owner, two smoke tests, two stop-workers, the budget gate's two and the five other steps.
    expect(checked).toBe(17);
  });

  it('invokes its six step functions and the shared notify-owner, stop-workers and budget gate, never deploy-context', () => {
    const invoke = smStatements().filter((st) => st.actions.includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.actions).toEqual(['lambda:InvokeFunction']);
    const expected = [
      ...DEVOPS_STEPS.filter((step) => step !== 'deploy-context').map((step) => pipeline().steps[step].fn),
      engineering().steps['notify-owner'].fn,
      engineering().steps['stop-workers'].fn,
      engineering().steps['check-budget'].fn,
      engineering().steps['ask-budget'].fn,
    ].map((fn) => arnOf(s.logicalId(fn)));
    expect(sorted(invoke[0]?.resources ?? [])).toEqual(sorted(expected));
    expect(actionsOn(smStatements(), s.logicalId(pipeline().steps['deploy-context'].fn))).toEqual([]);
  });

  it('runs only the deployer task definition, only in the worker cluster, and passes only its roles', () => {
    const { deployer } = pipeline();
    const runTask = smStatements().filter((st) => st.actions.includes('ecs:RunTask'));
    expect(runTask.map((st) => ({ resources: st.resources, conditions: st.conditions }))).toEqual([
      {
        resources: [ref(s.logicalId(deployer.taskDefinition))],
        conditions: { ArnEquals: { 'ecs:cluster': arnOf(s.logicalId(engineering().workers.cluster)) } },
      },
    ]);
    const passRole = smStatements().filter((st) => st.actions.includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(sorted(passRole[0]?.resources ?? [])).toEqual(
      sorted([
        arnOf(s.logicalId(deployer.taskDefinition.taskRole)),
        arnOf(s.logicalId(deployer.taskDefinition.obtainExecutionRole())),
      ]),
    );
    expect(passRole[0]?.conditions).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    const actions = smStatements().flatMap((st) => st.actions);
    expect(actions.filter((a) => /^(secretsmanager|dynamodb|events):/.test(a))).toEqual([]);
  });
});

describe('the deployer task', () => {
  it('runs on arm64 Fargate from containers/deployer, container "worker", awslogs to its own encrypted log group', () => {
    const props = resources[s.logicalId(pipeline().deployer.taskDefinition)]!.Properties;
    expect(props).toMatchObject({
      Cpu: '512',
      Memory: '1024',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    const [container] = props.ContainerDefinitions as Record<string, unknown>[];
    expect(container?.Name).toBe('worker');
    expect(container?.LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': ref(s.logicalId(pipeline().deployer.logGroup)),
        'awslogs-stream-prefix': 'deployer',
        'awslogs-region': 'eu-west-1',
      },
    });
    expect(resources[s.logicalId(pipeline().deployer.logGroup)]?.Properties).toMatchObject({
      RetentionInDays: 14,
      KmsKeyId: expect.anything(),
    });
    const env = Object.fromEntries(
      ((container?.Environment ?? []) as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
    );
    expect(env).toEqual({
      DEPLOY_RUNNER: 'docker',
      JOB_CONTEXT_FUNCTION: ref(s.logicalId(pipeline().steps['deploy-context'].fn)),
      HEARTBEAT_SECONDS: '60',
    });
    expect(container?.Secrets).toBeUndefined();
  });

  it('builds its image from containers/deployer/Dockerfile for arm64', () => {
    const assembly = s.app.synth();
    const manifest = JSON.parse(
      readFileSync(`${assembly.directory}/${s.stack.artifactId}.assets.json`, 'utf8'),
    ) as { dockerImages: Record<string, { source: { dockerFile?: string; platform?: string } }> };
    const deployer = Object.values(manifest.dockerImages).filter(
      (image) => image.source.dockerFile === 'containers/deployer/Dockerfile',
    );
    expect(deployer).toHaveLength(1);
    expect(deployer[0]?.source.platform).toBe('linux/arm64');
  });

  it('has its own security group: no ingress, HTTPS and SSH out only', () => {
    const sg = resources[s.logicalId(pipeline().deployer.securityGroup)]!;
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
      {
        CidrIp: '0.0.0.0/0',
        Description: 'SSH to deploy servers',
        FromPort: 22,
        IpProtocol: 'tcp',
        ToPort: 22,
      },
    ]);
  });

  it('lets its task role report with its token and invoke deploy-context, and nothing else', () => {
    const statements = deployerRoleStatements();
    expect(statements.map((st) => ({ actions: [...st.actions].sort(), resources: st.resources }))).toEqual([
      {
        actions: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'],
        resources: ['*'],
      },
      {
        actions: ['lambda:InvokeFunction'],
        resources: [arnOf(s.logicalId(pipeline().steps['deploy-context'].fn))],
      },
    ]);
  });

  it('has no Secrets Manager action at all, no bot token, no GitHub App key, no KMS', () => {
    const statements = deployerRoleStatements();
    expect(
      statements.flatMap((st) => st.actions).filter((a) => /^(secretsmanager|kms|ssm|dynamodb):/.test(a)),
    ).toEqual([]);
    for (const secret of [s.stack.secrets.botToken, engineering().githubAppKey]) {
      expect(actionsOn(statements, s.logicalId(secret))).toEqual([]);
    }
    const keyPolicy = JSON.stringify(
      resources[s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key'))]?.Properties
        .KeyPolicy,
    );
    expect(keyPolicy).not.toContain(`"${s.logicalId(pipeline().deployer.taskDefinition.taskRole)}"`);
  });

  it('is the only principal that may invoke deploy-context', () => {
    const deployContext = s.logicalId(pipeline().steps['deploy-context'].fn);
    const deployerPolicies = Object.entries(s.template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      JSON.stringify((p as Resource).Properties.Roles).includes(
        `"${s.logicalId(pipeline().deployer.taskDefinition.taskRole)}"`,
      ),
    );
    const invokers = Object.entries(s.template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      (
        (p as Resource).Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }
      ).Statement.some(
        (st) =>
          [st.Action].flat().includes('lambda:InvokeFunction') &&
          JSON.stringify(st.Resource).includes(`"${deployContext}"`),
      ),
    );
    expect(invokers.map(([id]) => id)).toEqual(deployerPolicies.map(([id]) => id));
    // Nor does a resource policy on the function let anyone else in.
    const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission'));
    expect(permissions.filter((p) => JSON.stringify(p).includes(`"${deployContext}"`))).toEqual([]);
  });

  it('may be stopped by the shared stop-workers: it runs in the cluster whose tasks it stops', () => {
    const stop = statementsOfRole(s.template, s.logicalId(engineering().steps['stop-workers'].role)).filter(
      (st) => st.actions.includes('ecs:StopTask'),
    );
    expect(stop.flatMap((st) => st.resources.map(joined))).toEqual([
      'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/CodegenOrchestrator-workers/*',
    ]);
    expect(stop[0]?.conditions).toEqual({
      ArnEquals: { 'ecs:cluster': arnOf(s.logicalId(engineering().workers.cluster)) },
    });
  });
});

describe('step Lambdas', () => {
  it('has one function per step with its handler and service name, each with its own role', () => {
    expect(Object.keys(pipeline().steps).sort()).toEqual([...DEVOPS_STEPS].sort());
    expect(new Set(DEVOPS_STEPS.map((step) => s.logicalId(pipeline().steps[step].role))).size).toBe(7);
    for (const step of DEVOPS_STEPS) {
      expect(envOf(step)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: `devops-${step}`,
        ADMIN_TELEGRAM_IDS: '111,222',
        SECRETS_DRIVER: 'aws',
        QUEUE_DRIVER: 'sqs',
        PROJECT_SECRETS_PREFIX: 'CodegenOrchestrator/',
        SERVER_KEYS_SECRETS_PREFIX: 'CodegenOrchestrator/servers/',
        BOT_POOL_SECRETS_PREFIX: 'CodegenOrchestrator/bot-pool/',
      });
    }
  });

  it('gives each step only the tables it uses', () => {
    const ids = Object.fromEntries(
      (['users', 'sessions', 'dedup', 'projects', 'checkpoints', 'usage'] as const).map((t) => [
        t,
        s.logicalId(s.stack.tables.get(t)),
      ]),
    );
    const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
    const WRITE = [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ];
    const uses: Record<DevopsStep, Record<string, string[]>> = {
      'analyse-env': { projects: WRITE, usage: WRITE },
      'prepare-secrets': { projects: READ },
      'ask-for-secret': { sessions: WRITE },
      'allocate-resources': { projects: WRITE },
      'smoke-test': {},
      'record-release': { projects: WRITE },
      'deploy-context': { projects: READ },
    };
    for (const step of DEVOPS_STEPS) {
      for (const [table, id] of Object.entries(ids)) {
        expect(actionsOn(statementsOf(step), id as string).sort(), `${step} on ${table}`).toEqual(
          uses[step][table] ?? [],
        );
      }
    }
  });

  it('gives smoke-test nothing but its logs and traces', () => {
    const actions = statementsOf('smoke-test').flatMap((st) => st.actions);
    expect(
      actions.every((a) => /^(logs:(CreateLogStream|PutLogEvents)|xray:Put)/.test(a)),
      actions.join(),
    ).toBe(true);
  });

  it('lets only ask-for-secret send to the update queue', () => {
    const queue = s.logicalId(s.stack.updateQueue.queue);
    for (const step of DEVOPS_STEPS) {
      expect(actionsOn(statementsOf(step), queue), step).toEqual(
        step === 'ask-for-secret' ? ['sqs:SendMessage'] : [],
      );
    }
  });

  it('lets analyse-env alone call the model, and analyse-env and deploy-context alone read the GitHub App key', () => {
    const key = s.logicalId(engineering().githubAppKey);
    for (const step of DEVOPS_STEPS) {
      const bedrock = statementsOf(step)
        .flatMap((st) => st.actions)
        .filter((a) => a.startsWith('bedrock:'));
      expect(bedrock.length > 0, step).toBe(step === 'analyse-env');
      const readsKey = actionsOn(statementsOf(step), key).includes('secretsmanager:GetSecretValue');
      expect(readsKey, step).toBe(step === 'analyse-env' || step === 'deploy-context');
    }
    for (const step of ['analyse-env', 'deploy-context'] as const) {
      expect(envOf(step)).toMatchObject({
        GIT_HOST_DRIVER: 'github',
        GITHUB_ORG: 'acme-builds',
        GITHUB_APP_KEY_SECRET_ID: ref(key),
      });
    }
    expect(envOf('analyse-env').LLM_AGENT_MODEL).toBe('bedrock:eu.anthropic.claude-sonnet-4-20250514-v1:0');
  });

  it('lets deploy-context describe devops executions only, and names the devops state machine', () => {
    const onStates = statementsOf('deploy-context').filter((st) =>
      st.actions.some((a) => a.startsWith('states:')),
    );
    expect(onStates.map((st) => ({ actions: st.actions, resources: st.resources.map(joined) }))).toEqual([
      { actions: ['states:DescribeExecution'], resources: [DEVOPS_EXECUTIONS] },
    ]);
    expect(envOf('deploy-context').PIPELINES_DRIVER).toBe('sfn');
    expect(joined(envOf('deploy-context').DEVOPS_STATE_MACHINE_ARN)).toBe(DEVOPS_ARN);
    expect(envOf('deploy-context').ENGINEERING_STATE_MACHINE_ARN).toBeUndefined();
    for (const step of DEVOPS_STEPS.filter((x) => x !== 'deploy-context')) {
      expect(
        statementsOf(step)
          .flatMap((st) => st.actions)
          .filter((a) => a.startsWith('states:')),
        step,
      ).toEqual([]);
    }
  });
});

describe('secrets', () => {
  it('lets deploy-context read project secrets, server SSH keys and pool bot tokens, and do nothing else with them', () => {
    expect(onSecrets(statementsOf('deploy-context'))).toEqual([
      // The GitHub App key, to mint the deploy's read token.
      {
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [JSON.stringify(ref(s.logicalId(engineering().githubAppKey)))],
      },
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [POOL_TOKENS, PROJECT_SECRETS, SERVER_KEYS].sort(),
      },
    ]);
  });

  it('lets prepare-secrets write project secrets only: no delete, no server keys, no pool tokens', () => {
    expect(onSecrets(statementsOf('prepare-secrets'))).toEqual([
      {
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:RestoreSecret',
          'secretsmanager:TagResource',
        ],
        resources: [PROJECT_SECRETS],
      },
    ]);
    expect(envOf('prepare-secrets').SECRETS_KMS_KEY_ID).toEqual(
      arnOf(s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key'))),
    );
  });

  it('lets allocate-resources read one key of the project secrets (the own bot token), nothing else', () => {
    expect(onSecrets(statementsOf('allocate-resources'))).toEqual([
      {
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`${SECRET_ARN}CodegenOrchestrator/projects/*/TELEGRAM_BOT_TOKEN-??????`],
      },
    ]);
  });

  it('keeps the other steps away from Secrets Manager (the GitHub App key of analyse-env aside)', () => {
    for (const step of ['ask-for-secret', 'smoke-test', 'record-release'] as const) {
      expect(onSecrets(statementsOf(step)), step).toEqual([]);
    }
    expect(onSecrets(statementsOf('analyse-env'))).toEqual([
      {
        actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        resources: [JSON.stringify(ref(s.logicalId(engineering().githubAppKey)))],
      },
    ]);
  });

  it('across the stack, only deploy-context reads server keys or pool tokens; only the consumer, prepare-secrets and deploy-context reach all project secrets', () => {
    const touching = (pattern: RegExp) =>
      Object.values(s.template.findResources('AWS::IAM::Policy'))
        .filter((p) =>
          (
            (p as Resource).Properties.PolicyDocument as { Statement: { Resource: unknown }[] }
          ).Statement.some((st) => [st.Resource].flat().some((r) => pattern.test(joined(r)))),
        )
        .map((p) => JSON.stringify((p as Resource).Properties.Roles))
        .sort();
    const roles = (...ids: string[]) => ids.map((id) => JSON.stringify([ref(id)])).sort();
    const role = (step: DevopsStep) => s.logicalId(pipeline().steps[step].role);
    // The consumer keeps what admins add (keepsProjectSecrets) once the resources' families land there.
    const consumer = s.logicalId(s.stack.updateQueue.consumer.role);
    for (const family of [
      /secret:CodegenOrchestrator\/servers\//,
      /secret:CodegenOrchestrator\/bot-pool\//,
    ]) {
      expect(touching(family).filter((r) => r !== roles(consumer)[0])).toEqual(roles(role('deploy-context')));
    }
    expect(touching(/secret:CodegenOrchestrator\/projects\/\*$/)).toEqual(
      roles(consumer, role('prepare-secrets'), role('deploy-context')),
    );
  });
});

describe('consumer', () => {
  it('starts, lists and reads devops runs, next to the engineering ones', () => {
    const consumer = statementsOfRole(s.template, s.logicalId(s.stack.updateQueue.consumer.role));
    const onDevops = consumer
      .filter((st) => st.resources.some((r) => joined(r).includes('CodegenOrchestrator-devops')))
      .map((st) => ({ actions: [...st.actions].sort(), resources: st.resources.map(joined) }));
    expect(onDevops).toEqual([
      { actions: ['states:ListExecutions', 'states:StartExecution'], resources: [DEVOPS_ARN] },
      { actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [DEVOPS_EXECUTIONS] },
    ]);
    const consumerId = s.logicalId(s.stack.updateQueue.consumer.fn);
    const env = (resources[consumerId]!.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(joined(env.DEVOPS_STATE_MACHINE_ARN)).toBe(DEVOPS_ARN);
    expect(joined(env.ENGINEERING_STATE_MACHINE_ARN)).toContain('CodegenOrchestrator-engineering');
    expect(resources[consumerId]?.DependsOn).toContain(s.logicalId(pipeline().stateMachine));
  });

  it('cannot invoke deploy-context or read server keys and pool tokens beyond what it keeps itself', () => {
    const consumer = statementsOfRole(s.template, s.logicalId(s.stack.updateQueue.consumer.role));
    expect(actionsOn(consumer, s.logicalId(pipeline().steps['deploy-context'].fn))).toEqual([]);
    expect(consumer.flatMap((st) => st.actions)).not.toContain('lambda:InvokeFunction');
  });
});

describe('alarms and dashboard', () => {
  it('ends a rollback in the Fail state the rolled-back metric filter counts', () => {
    expect(ASL.States[ROLLED_BACK_STATE]).toMatchObject({ Type: 'Fail', Error: ROLLED_BACK_ERROR });
    expect(ROLLED_BACK_ERROR).toBe('DeployRolledBack');
    expect(resources[s.logicalId(pipeline().rolledBackFilter)]?.Properties).toEqual({
      LogGroupName: ref(s.logicalId(pipeline().logGroup)),
      FilterPattern: '{ ($.type = "FailStateEntered") && ($.details.name = "Rolled back") }',
      MetricTransformations: [
        { MetricNamespace: METRICS_NAMESPACE, MetricName: ROLLED_BACK_METRIC, MetricValue: '1' },
      ],
    });
  });

  it.each([
    ['DevopsExecutionsFailed', 'AWS/States', 'ExecutionsFailed'],
    ['DevopsExecutionsTimedOut', 'AWS/States', 'ExecutionsTimedOut'],
    ['DevopsDeployRolledBack', METRICS_NAMESPACE, ROLLED_BACK_METRIC],
  ])('alarms (%s) on %s %s >= 1 in 5 minutes to the alarm topic', (id, namespace, metricName) => {
    const alarm = s.stack.alarms.alarms.find((a) => a.node.id === id);
    expect(alarm).toBeDefined();
    const props = resources[s.logicalId(alarm!)]?.Properties;
    expect(props).toMatchObject({
      MetricName: metricName,
      Namespace: namespace,
      Period: 300,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(s.logicalId(s.stack.alarms.topic))],
    });
    if (namespace === 'AWS/States') {
      expect(props?.Dimensions).toEqual([
        { Name: 'StateMachineArn', Value: ref(s.logicalId(pipeline().stateMachine)) },
      ]);
    } else {
      expect(props?.Dimensions).toBeUndefined();
    }
  });

  it('charts deploys by outcome, the rolled-back count and the step errors', () => {
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('DevOps pipeline');
    expect(body).toContain(`\\"${METRICS_NAMESPACE}\\",\\"${ROLLED_BACK_METRIC}\\"`);
    expect(body).toContain(s.logicalId(pipeline().stateMachine));
    for (const step of DEVOPS_STEPS) expect(body).toContain(s.logicalId(pipeline().steps[step].fn));
  });

  it('outputs the state machine ARN and the deployer log group', () => {
    s.template.hasOutput('DevopsStateMachineArn', { Value: ref(s.logicalId(pipeline().stateMachine)) });
    s.template.hasOutput('DeployerLogGroupName', { Value: ref(s.logicalId(pipeline().deployer.logGroup)) });
  });
});

describe('least privilege', () => {
  it('uses Resource "*" in the devops roles only for X-Ray, log delivery and SendTask*', () => {
    const roles = [
      ...DEVOPS_STEPS.map((step) => pipeline().steps[step].role),
      pipeline().stateMachine.role,
      pipeline().deployer.taskDefinition.taskRole,
    ];
    for (const role of roles) {
      for (const st of statementsOfRole(s.template, s.logicalId(role)).filter((x) =>
        x.resources.includes('*'),
      )) {
        for (const action of st.actions) expect(action).toMatch(/^(xray:|logs:|states:SendTask)/);
      }
    }
    expect(allIdentityStatements(s.template).flatMap((st) => st.actions)).not.toContain('secretsmanager:*');
  });
});
