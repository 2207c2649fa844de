import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENGINEERING_ASL } from '../../cdk/lib/constructs/engineering-pipeline.ts';
import { IMAGE_CONTEXT_EXCLUDES } from '../../cdk/lib/constructs/worker-cluster.ts';
import { REPO_ROOT } from '../../cdk/lib/paths.ts';
import { actionsOn, allows, type Statement, statementsOfRole } from './support/iam.ts';
import { arnOf, ref, type Synthesized, synthesize, TEST_CONTEXT } from './support/synth.ts';

const GITHUB = { githubOrg: 'acme-builds', githubAppId: '123456', githubInstallationId: '7890123' };

/** An ARN as one string, `<AWS::Region>` for each Ref (as cdk-nag writes them). */
function joined(arn: unknown): string {
  if (typeof arn === 'string') return arn;
  const join = (arn as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(arn);
  return join[1].map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join(join[0]);
}

/** Template values in a stable order (minimized policies sort resources their own way). */
const sorted = (values: unknown[]) => values.map((v) => JSON.stringify(v)).sort();

/** Info annotations under the pipeline construct. */
function listInfos(synth: Synthesized): string[] {
  return synth.stack.engineering.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === 'aws:cdk:info')
    .map((m) => String(m.data));
}

type Resource = { Type: string; Properties: Record<string, unknown> };

let s: Synthesized;
let resources: Record<string, Resource>;
const STEPS = [
  'notify-owner',
  'analyst',
  'architect',
  'record-attempt',
  'escalate',
  'stop-workers',
  'job-context',
  'start-deploy',
  'check-budget',
  'ask-budget',
  'index-knowledge',
] as const;

beforeAll(() => {
  s = synthesize({ context: { ...TEST_CONTEXT, ...GITHUB } });
  resources = s.template.toJSON().Resources as Record<string, Resource>;
});

const pipeline = () => s.stack.engineering;
const roleOf = (step: (typeof STEPS)[number]) => s.logicalId(pipeline().steps[step].role);
const statementsOf = (step: (typeof STEPS)[number]) => statementsOfRole(s.template, roleOf(step));
const envOf = (step: (typeof STEPS)[number]) =>
  (
    resources[s.logicalId(pipeline().steps[step].fn)]!.Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
const stateMachine = () => resources[s.logicalId(pipeline().stateMachine)] as Resource;
const smStatements = () => statementsOfRole(s.template, s.logicalId(pipeline().stateMachine.role));
const taskDefinition = (name: 'codingWorker' | 'tester') =>
  resources[s.logicalId(pipeline().workers[name])] as Resource;
const taskRoleStatements = (name: 'codingWorker' | 'tester') =>
  statementsOfRole(s.template, s.logicalId(pipeline().workers[name].taskRole));
/** Built from the name (partition and Region are literal in this Region-bound stack). */
const STATE_MACHINE_ARN =
  'arn:aws:states:eu-west-1:<AWS::AccountId>:stateMachine:CodegenOrchestrator-engineering';
const EXECUTION_ARNS =
  'arn:aws:states:eu-west-1:<AWS::AccountId>:execution:CodegenOrchestrator-engineering:*';

describe('state machine', () => {
  it('is a Standard state machine with its name, logging ALL without execution data to its encrypted log group, and X-Ray', () => {
    const props = stateMachine().Properties;
    expect(props.StateMachineName).toBe('CodegenOrchestrator-engineering');
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

  it('substitutes exactly the placeholders of the ASL file, with the right resources, and leaves no ${ behind', () => {
    const asl = readFileSync(`${REPO_ROOT}${ENGINEERING_ASL}`, 'utf8');
    const placeholders = [...new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();
    const substitutions = stateMachine().Properties.DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders);
    expect(placeholders).toEqual(
      [
        'NotifyOwnerFunction',
        'AnalystFunction',
        'ArchitectFunction',
        'RecordAttemptFunction',
        'EscalateFunction',
        'StopWorkersFunction',
        'StartDeployFunction',
        'CheckBudgetFunction',
        'AskBudgetFunction',
        'IndexKnowledgeFunction',
        'Cluster',
        'CodingWorkerTaskDefinition',
        'TesterTaskDefinition',
        'SubnetA',
        'SubnetB',
        'WorkerSecurityGroup',
      ].sort(),
    );
    const { steps, workers } = pipeline();
    const fn = (step: (typeof STEPS)[number]) => arnOf(s.logicalId(steps[step].fn));
    expect(substitutions).toEqual({
      NotifyOwnerFunction: fn('notify-owner'),
      AnalystFunction: fn('analyst'),
      ArchitectFunction: fn('architect'),
      RecordAttemptFunction: fn('record-attempt'),
      EscalateFunction: fn('escalate'),
      StopWorkersFunction: fn('stop-workers'),
      StartDeployFunction: fn('start-deploy'),
      CheckBudgetFunction: fn('check-budget'),
      AskBudgetFunction: fn('ask-budget'),
      IndexKnowledgeFunction: fn('index-knowledge'),
      Cluster: arnOf(s.logicalId(workers.cluster)),
      CodingWorkerTaskDefinition: ref(s.logicalId(workers.codingWorker)),
      TesterTaskDefinition: ref(s.logicalId(workers.tester)),
      SubnetA: ref(s.logicalId(workers.vpc.publicSubnets[0]!)),
      SubnetB: ref(s.logicalId(workers.vpc.publicSubnets[1]!)),
      WorkerSecurityGroup: { 'Fn::GetAtt': [s.logicalId(workers.securityGroup), 'GroupId'] },
    });
    // What Step Functions will run: the file with every ${Name} replaced, still valid JSON.
    let definition = asl;
    for (const name of Object.keys(substitutions)) definition = definition.replaceAll(`\${${name}}`, 'X');
    expect(definition).not.toContain('${');
    expect(() => JSON.parse(definition)).not.toThrow();
  });

  it('deploys the ASL file itself, byte for byte, as the definition asset', () => {
    const assembly = s.app.synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, `${s.stack.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { source: { path: string } }> };
    const key = (stateMachine().Properties.DefinitionS3Location as { Key: string }).Key;
    const asset = manifest.files[key.replace(/\.json$/, '')];
    expect(asset).toBeDefined();
    expect(readFileSync(join(assembly.directory, asset!.source.path), 'utf8')).toBe(
      readFileSync(`${REPO_ROOT}${ENGINEERING_ASL}`, 'utf8'),
    );
  });

  it('invokes exactly the ten step functions it names, by their unqualified ARNs', () => {
    const invoke = smStatements().filter((st) => st.actions.includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.actions).toEqual(['lambda:InvokeFunction']);
    const expected = (
      [
        'notify-owner',
        'analyst',
        'architect',
        'record-attempt',
        'escalate',
        'stop-workers',
        'start-deploy',
        'check-budget',
        'ask-budget',
        'index-knowledge',
      ] as const
    ).map((step) => arnOf(s.logicalId(pipeline().steps[step].fn)));
    expect(sorted(invoke[0]?.resources ?? [])).toEqual(sorted(expected));
    expect(actionsOn(smStatements(), s.logicalId(pipeline().steps['job-context'].fn))).toEqual([]);
  });

  it('runs only the two worker task definitions, only in the worker cluster, and passes only their roles to ECS', () => {
    const { workers } = pipeline();
    const runTask = smStatements().filter((st) => st.actions.includes('ecs:RunTask'));
    expect(runTask).toHaveLength(1);
    expect(sorted(runTask[0]?.resources ?? [])).toEqual(
      sorted([ref(s.logicalId(workers.codingWorker)), ref(s.logicalId(workers.tester))]),
    );
    expect(runTask[0]?.conditions).toEqual({
      ArnEquals: { 'ecs:cluster': arnOf(s.logicalId(workers.cluster)) },
    });

    const passRole = smStatements().filter((st) => st.actions.includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    const roles = [workers.codingWorker, workers.tester].flatMap((task) => [
      arnOf(s.logicalId(task.taskRole)),
      arnOf(s.logicalId(task.obtainExecutionRole())),
    ]);
    expect(sorted(passRole[0]?.resources ?? [])).toEqual(sorted(roles));
    expect(passRole[0]?.conditions).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
  });

  it('has nothing else: no events rule (.waitForTaskToken, not .sync), no secrets, no tables', () => {
    const actions = smStatements().flatMap((st) => st.actions);
    expect(actions.filter((a) => a.startsWith('events:'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('secretsmanager:') || a.startsWith('dynamodb:'))).toEqual([]);
    for (const st of smStatements().filter((x) => x.resources.includes('*'))) {
      for (const action of st.actions) expect(action).toMatch(/^(xray|logs):/);
    }
  });
});

describe('step Lambdas', () => {
  it('has one function per step with its handler, each with its own role', () => {
    expect(Object.keys(pipeline().steps).sort()).toEqual([...STEPS].sort());
    const roles = new Set(STEPS.map(roleOf));
    expect(roles.size).toBe(STEPS.length);
    for (const step of STEPS) {
      expect(envOf(step).POWERTOOLS_SERVICE_NAME).toBe(`engineering-${step}`);
    }
  });

  it('gives every step the projects table and only the tables it uses', () => {
    const ids = Object.fromEntries(
      (['users', 'sessions', 'dedup', 'projects', 'checkpoints', 'usage'] as const).map((t) => [
        t,
        s.logicalId(s.stack.tables.get(t)),
      ]),
    );
    const uses: Record<(typeof STEPS)[number], string[]> = {
      'notify-owner': ['projects'],
      analyst: ['projects', 'usage'],
      architect: ['projects'],
      'record-attempt': ['projects', 'usage'],
      escalate: ['projects', 'sessions'],
      'stop-workers': ['projects'],
      'job-context': ['projects'],
      'start-deploy': ['projects'],
      'check-budget': ['projects', 'usage'],
      'ask-budget': ['projects', 'usage', 'sessions'],
      'index-knowledge': ['projects'],
    };
    for (const step of STEPS) {
      const statements = statementsOf(step);
      for (const [table, id] of Object.entries(ids)) {
        const granted = actionsOn(statements, id as string).length > 0;
        expect(granted, `${step} on ${table}`).toBe(uses[step].includes(table));
      }
      expect(envOf(step).PROJECTS_TABLE).toEqual(ref(ids.projects as string));
    }
    // The token broker, stop-workers and the budget gate only read.
    for (const step of ['job-context', 'stop-workers', 'check-budget', 'ask-budget'] as const) {
      expect(actionsOn(statementsOf(step), ids.projects as string).sort()).toEqual([
        'dynamodb:GetItem',
        'dynamodb:Query',
      ]);
    }
    for (const step of ['check-budget', 'ask-budget'] as const) {
      expect(actionsOn(statementsOf(step), ids.usage as string).sort(), step).toEqual([
        'dynamodb:GetItem',
        'dynamodb:Query',
      ]);
      expect(envOf(step).USER_MONTHLY_BUDGET_USD, step).toBe('20');
    }
  });

  it('reads the GitHub App key in the architect, the token broker and the knowledge indexer only', () => {
    const key = s.logicalId(pipeline().githubAppKey);
    for (const step of STEPS) {
      const reads = allows(statementsOf(step), 'secretsmanager:GetSecretValue', ref(key));
      expect(reads, step).toBe(step === 'architect' || step === 'job-context' || step === 'index-knowledge');
    }
    for (const role of [
      s.stack.updateQueue.consumer.role,
      s.stack.frontDoor.webhook.role,
      pipeline().workers.codingWorker.taskRole,
      pipeline().workers.tester.taskRole,
      pipeline().stateMachine.role,
    ]) {
      expect(actionsOn(statementsOfRole(s.template, s.logicalId(role)), key)).toEqual([]);
    }
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'CodegenOrchestrator/github/app-private-key',
      KmsKeyId: arnOf(s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key'))),
      GenerateSecretString: Match.objectLike({ ExcludePunctuation: true }),
    });
  });

  it('sets the GitHub App settings on the architect, the token broker and the knowledge indexer', () => {
    const key = s.logicalId(pipeline().githubAppKey);
    // The indexer reads the built commit's files through the git host.
    for (const step of ['architect', 'job-context', 'index-knowledge'] as const) {
      expect(envOf(step)).toMatchObject({
        GIT_HOST_DRIVER: 'github',
        GITHUB_ORG: 'acme-builds',
        GITHUB_APP_ID: '123456',
        GITHUB_INSTALLATION_ID: '7890123',
        GITHUB_APP_KEY_SECRET_ID: ref(key),
      });
    }
    for (const step of STEPS.filter((x) => !['architect', 'job-context', 'index-knowledge'].includes(x))) {
      expect(
        Object.keys(envOf(step)).filter((k) => k.startsWith('GIT')),
        step,
      ).toEqual([]);
    }
  });

  it('lets the token broker describe executions of this state machine, and nothing else of Step Functions', () => {
    const onStates = statementsOf('job-context').filter((st) =>
      st.actions.some((a) => a.startsWith('states:')),
    );
    expect(onStates.map((st) => ({ actions: st.actions, resources: st.resources.map(joined) }))).toEqual([
      { actions: ['states:DescribeExecution'], resources: [EXECUTION_ARNS] },
    ]);
    expect(envOf('job-context').PIPELINES_DRIVER).toBe('sfn');
    expect(joined(envOf('job-context').ENGINEERING_STATE_MACHINE_ARN)).toBe(STATE_MACHINE_ARN);
    for (const step of STEPS.filter((x) => x !== 'job-context' && x !== 'start-deploy')) {
      expect(
        statementsOf(step)
          .flatMap((st) => st.actions)
          .filter((a) => a.startsWith('states:')),
        step,
      ).toEqual([]);
    }
  });

  it('lets start-deploy start devops runs and read them back, and nothing else of Step Functions', () => {
    const devops = 'CodegenOrchestrator-devops';
    const onStates = statementsOf('start-deploy').filter((st) =>
      st.actions.some((a) => a.startsWith('states:')),
    );
    expect(onStates.map((st) => ({ actions: st.actions, resources: st.resources.map(joined) }))).toEqual([
      {
        actions: ['states:StartExecution'],
        resources: [`arn:aws:states:eu-west-1:<AWS::AccountId>:stateMachine:${devops}`],
      },
      {
        actions: ['states:DescribeExecution'],
        resources: [`arn:aws:states:eu-west-1:<AWS::AccountId>:execution:${devops}:*`],
      },
    ]);
    expect(envOf('start-deploy').PIPELINES_DRIVER).toBe('sfn');
    expect(joined(envOf('start-deploy').DEVOPS_STATE_MACHINE_ARN)).toBe(
      `arn:aws:states:eu-west-1:<AWS::AccountId>:stateMachine:${devops}`,
    );
    expect(envOf('start-deploy').ENGINEERING_STATE_MACHINE_ARN).toBeUndefined();
  });

  it('lets notify-owner send to the update queue, escalate read the bot token, the analyst call the agent model', () => {
    const queue = s.logicalId(s.stack.updateQueue.queue);
    expect(actionsOn(statementsOf('notify-owner'), queue)).toEqual(['sqs:SendMessage']);
    // Every step names the queue (the shared config requires QUEUE_URL); only notify-owner may send.
    for (const step of STEPS) {
      expect(envOf(step)).toMatchObject({ QUEUE_DRIVER: 'sqs', QUEUE_URL: ref(queue) });
      if (step !== 'notify-owner') expect(actionsOn(statementsOf(step), queue), step).toEqual([]);
    }

    const botToken = s.logicalId(s.stack.secrets.botToken);
    expect(allows(statementsOf('escalate'), 'secretsmanager:GetSecretValue', ref(botToken))).toBe(true);
    expect(envOf('escalate').BOT_TOKEN_SECRET_ID).toEqual(ref(botToken));
    expect(allows(statementsOf('ask-budget'), 'secretsmanager:GetSecretValue', ref(botToken))).toBe(true);
    expect(allows(statementsOf('check-budget'), 'secretsmanager:GetSecretValue', ref(botToken))).toBe(false);

    // The agent's models; the embedding model of project knowledge is tests/cdk/knowledge.test.ts's.
    const bedrock = (step: (typeof STEPS)[number]) =>
      statementsOf(step).filter(
        (st) =>
          st.actions.some((a) => a.startsWith('bedrock:')) &&
          !JSON.stringify(st.resources).includes('titan-embed'),
      );
    expect(bedrock('analyst').flatMap((st) => st.resources.map(joined))).toEqual([
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
    ]);
    expect(envOf('analyst').LLM_AGENT_MODEL).toBe('bedrock:eu.anthropic.claude-sonnet-4-20250514-v1:0');
    expect(envOf('analyst').LLM_INTENT_MODEL).toBeUndefined();
    for (const step of STEPS.filter((x) => x !== 'analyst')) expect(bedrock(step), step).toEqual([]);
  });

  it('lets stop-workers list and stop tasks of the worker cluster only', () => {
    const cluster = arnOf(s.logicalId(pipeline().workers.cluster));
    const onEcs = statementsOf('stop-workers').filter((st) => st.actions.some((a) => a.startsWith('ecs:')));
    expect(
      onEcs.map((st) => ({
        actions: st.actions,
        resources: st.resources.map(joined),
        conditions: st.conditions,
      })),
    ).toEqual([
      { actions: ['ecs:ListTasks'], resources: ['*'], conditions: { ArnEquals: { 'ecs:cluster': cluster } } },
      {
        actions: ['ecs:StopTask'],
        resources: [
          'arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/CodegenOrchestrator-workers/*',
        ],
        conditions: { ArnEquals: { 'ecs:cluster': cluster } },
      },
    ]);
    expect(envOf('stop-workers').WORKER_CLUSTER_ARN).toEqual(cluster);
  });

  it('gives every step the shared environment the config needs', () => {
    for (const step of STEPS) {
      expect(envOf(step)).toMatchObject({
        ADMIN_TELEGRAM_IDS: '111,222',
        TELEGRAM_BOT_USERNAME: 'test_orchestrator_bot',
        SECRETS_DRIVER: 'aws',
        METRICS_DRIVER: 'emf',
      });
    }
  });
});

describe('consumer: startsPipeline', () => {
  let consumer: Statement[];
  beforeAll(() => {
    consumer = statementsOfRole(s.template, s.logicalId(s.stack.updateQueue.consumer.role));
  });

  it('starts, lists and reads runs of this state machine and answers escalations with SendTaskSuccess', () => {
    // Without the devops pipeline's own (devops-pipeline.test.ts), whose SendTaskSuccess is the last.
    const onStates = consumer
      .filter((st) => st.actions.some((a) => a.startsWith('states:')))
      .filter((st) => !st.resources.some((r) => joined(r).includes('CodegenOrchestrator-devops')));
    expect(
      onStates.map((st) => ({ actions: [...st.actions].sort(), resources: st.resources.map(joined) })),
    ).toEqual([
      { actions: ['states:ListExecutions', 'states:StartExecution'], resources: [STATE_MACHINE_ARN] },
      { actions: ['states:DescribeExecution', 'states:GetExecutionHistory'], resources: [EXECUTION_ARNS] },
      { actions: ['states:SendTaskSuccess'], resources: ['*'] },
      { actions: ['states:SendTaskSuccess'], resources: ['*'] },
    ]);
  });

  it('names the state machine in its environment and waits for it to exist', () => {
    const consumerId = s.logicalId(s.stack.updateQueue.consumer.fn);
    const fn = resources[consumerId] as Resource & { DependsOn?: string[] };
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.PIPELINES_DRIVER).toBe('sfn');
    expect(joined(env.ENGINEERING_STATE_MACHINE_ARN)).toBe(STATE_MACHINE_ARN);
    const raw = s.template.toJSON().Resources[consumerId] as { DependsOn?: string[] };
    expect(raw.DependsOn).toContain(s.logicalId(pipeline().stateMachine));
  });

  it('cannot read the GitHub App key or stop workers', () => {
    expect(actionsOn(consumer, s.logicalId(pipeline().githubAppKey))).toEqual([]);
    expect(consumer.flatMap((st) => st.actions).filter((a) => a.startsWith('ecs:'))).toEqual([]);
  });
});

describe('Fargate workers', () => {
  it('runs in a VPC of two public subnets with no NAT gateway, and flow logs of all traffic', () => {
    s.template.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    const subnets = s.template.findResources('AWS::EC2::Subnet');
    expect(Object.keys(subnets)).toHaveLength(2);
    for (const subnet of Object.values(subnets)) {
      expect((subnet as Resource).Properties.MapPublicIpOnLaunch).toBe(true);
    }
    s.template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
  });

  it('has a security group with no ingress and HTTPS egress only', () => {
    const sg = resources[s.logicalId(pipeline().workers.securityGroup)] as Resource;
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
    s.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('has a cluster with Container Insights', () => {
    expect(resources[s.logicalId(pipeline().workers.cluster)]?.Properties).toEqual({
      ClusterName: 'CodegenOrchestrator-workers',
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it.each([
    ['codingWorker', '1024', '2048', 'coding-worker'],
    ['tester', '512', '1024', 'tester'],
  ] as const)(
    'runs the %s on arm64 Fargate at %s CPU / %s MiB, container "worker", awslogs',
    (name, cpu, memory, prefix) => {
      const props = taskDefinition(name).Properties;
      expect(props).toMatchObject({
        Cpu: cpu,
        Memory: memory,
        NetworkMode: 'awsvpc',
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      });
      const [container, ...others] = props.ContainerDefinitions as Record<string, unknown>[];
      expect(others).toEqual([]);
      expect(container?.Name).toBe('worker');
      expect(container?.LogConfiguration).toMatchObject({
        LogDriver: 'awslogs',
        Options: { 'awslogs-stream-prefix': prefix },
      });
      const logGroupId = (container!.LogConfiguration as { Options: { 'awslogs-group': { Ref: string } } })
        .Options['awslogs-group'].Ref;
      expect(resources[logGroupId]?.Properties).toMatchObject({
        RetentionInDays: 14,
        KmsKeyId: expect.anything(),
      });
    },
  );

  it('builds each image from the repository root with its own Dockerfile for arm64, leaving node_modules and outputs out', () => {
    const assembly = s.app.synth();
    const manifest = JSON.parse(
      readFileSync(join(assembly.directory, `${s.stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile?: string; platform?: string } }>;
    };
    const images = Object.entries(manifest.dockerImages);
    expect(images.map(([, image]) => image.source.dockerFile).sort()).toEqual([
      'containers/coding-worker/Dockerfile',
      // The devops pipeline's deployer, built the same way (devops-pipeline.test.ts).
      'containers/deployer/Dockerfile',
      'containers/tester/Dockerfile',
    ]);
    for (const [hash, image] of images) {
      expect(image.source.platform).toBe('linux/arm64');
      // The staged build context is the repository root without what IMAGE_CONTEXT_EXCLUDES names.
      const staged = readdirSync(join(assembly.directory, image.source.directory));
      expect(staged, hash).toContain('package.json');
      expect(staged, hash).toContain('lambdas');
      for (const excluded of IMAGE_CONTEXT_EXCLUDES) expect(staged, hash).not.toContain(excluded);
    }
    expect(IMAGE_CONTEXT_EXCLUDES).toEqual(['node_modules', 'cdk.out', '.local', '.bench', '.git', '.cache']);
    for (const name of ['codingWorker', 'tester'] as const) {
      const [container] = taskDefinition(name).Properties.ContainerDefinitions as { Image: unknown }[];
      expect(JSON.stringify(container?.Image)).toContain('container-assets');
    }
  });

  it('gives the workers exactly their environment: no secret, the token broker by name, the coding model', () => {
    const env = (name: 'codingWorker' | 'tester') => {
      const [container] = taskDefinition(name).Properties.ContainerDefinitions as {
        Environment: { Name: string; Value: unknown }[];
      }[];
      return Object.fromEntries((container?.Environment ?? []).map((e) => [e.Name, e.Value]));
    };
    const jobContext = ref(s.logicalId(pipeline().steps['job-context'].fn));
    expect(env('codingWorker')).toEqual({
      PIPELINES_DRIVER: 'sfn',
      JOB_CONTEXT_FUNCTION: jobContext,
      CODING_ENGINE: 'claude-code',
      CLAUDE_CODE_USE_BEDROCK: '1',
      CLAUDE_CODE_MODEL: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
      ANTHROPIC_SMALL_FAST_MODEL: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
    });
    expect(env('tester')).toEqual({ PIPELINES_DRIVER: 'sfn', JOB_CONTEXT_FUNCTION: jobContext });
    for (const name of ['codingWorker', 'tester'] as const) {
      const [container] = taskDefinition(name).Properties.ContainerDefinitions as Record<string, unknown>[];
      expect(container?.Secrets).toBeUndefined();
    }
  });

  it('lets the task roles report with their token and ask the token broker, and nothing else', () => {
    const jobContext = arnOf(s.logicalId(pipeline().steps['job-context'].fn));
    for (const name of ['codingWorker', 'tester'] as const) {
      const statements = taskRoleStatements(name);
      const send = statements.filter((st) => st.actions.some((a) => a.startsWith('states:')));
      expect(send.map((st) => ({ actions: [...st.actions].sort(), resources: st.resources }))).toEqual([
        {
          actions: ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'],
          resources: ['*'],
        },
      ]);
      const invoke = statements.filter((st) => st.actions.includes('lambda:InvokeFunction'));
      expect(invoke.map((st) => st.resources)).toEqual([[jobContext]]);
    }
    // The coding worker alone calls Bedrock: the coding model (through its profile) and the profile list.
    const bedrock = taskRoleStatements('codingWorker').filter((st) =>
      st.actions.some((a) => a.startsWith('bedrock:')),
    );
    expect(
      bedrock.map((st) => ({ actions: [...st.actions].sort(), resources: st.resources.map(joined) })),
    ).toEqual([
      {
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: [
          'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0',
        ],
      },
      {
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: [
          'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
        ],
      },
      { actions: ['bedrock:ListInferenceProfiles'], resources: ['*'] },
    ]);
    expect(
      taskRoleStatements('tester')
        .flatMap((st) => st.actions)
        .filter((a) => a.startsWith('bedrock:')),
    ).toEqual([]);
  });

  it('gives the task roles no secret and no table', () => {
    const secrets = Object.keys(s.template.findResources('AWS::SecretsManager::Secret'));
    const tables = Object.keys(s.template.findResources('AWS::DynamoDB::Table'));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const name of ['codingWorker', 'tester'] as const) {
      const statements = taskRoleStatements(name);
      const actions = statements.flatMap((st) => st.actions);
      expect(
        actions.filter((a) => /^(secretsmanager|dynamodb|kms|ssm):/.test(a)),
        name,
      ).toEqual([]);
      for (const id of [...secrets, ...tables])
        expect(actionsOn(statements, id), `${name} on ${id}`).toEqual([]);
      expect(
        statements.every((st) =>
          st.actions.every((a) => /^(states:SendTask|lambda:InvokeFunction$|bedrock:)/.test(a)),
        ),
        name,
      ).toBe(true);
    }
    // Nor does the key policy let them decrypt anything.
    const keyPolicy = JSON.stringify(
      resources[s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key'))]?.Properties
        .KeyPolicy,
    );
    for (const task of [pipeline().workers.codingWorker, pipeline().workers.tester]) {
      expect(keyPolicy).not.toContain(`"${s.logicalId(task.taskRole)}"`);
    }
  });
});

describe('alarms, dashboard, outputs', () => {
  it.each([
    ['ExecutionsFailed', 'EngineeringExecutionsFailed'],
    ['ExecutionsTimedOut', 'EngineeringExecutionsTimedOut'],
  ])('alarms on %s >= 1 in 5 minutes to the alarm topic', (metricName, id) => {
    const alarm = s.stack.alarms.alarms.find((a) => a.node.id === id);
    expect(alarm).toBeDefined();
    const props = resources[s.logicalId(alarm!)]?.Properties;
    expect(props).toMatchObject({
      MetricName: metricName,
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: ref(s.logicalId(pipeline().stateMachine)) }],
      Period: 300,
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(s.logicalId(s.stack.alarms.topic))],
    });
  });

  it('charts runs by outcome and the running Fargate tasks', () => {
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard')) as Resource[];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]) {
      expect(body).toContain(`\\"AWS/States\\",\\"${metric}\\"`);
    }
    expect(body).toContain(
      '\\"ECS/ContainerInsights\\",\\"RunningTaskCount\\",\\"ClusterName\\",\\"CodegenOrchestrator-workers\\"',
    );
  });

  it('outputs the state machine ARN', () => {
    s.template.hasOutput('EngineeringStateMachineArn', { Value: ref(s.logicalId(pipeline().stateMachine)) });
  });

  it('lets CloudWatch Logs use the stack key for this account’s log groups only', () => {
    const keyId = s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key'));
    const statements = (resources[keyId]!.Properties.KeyPolicy as { Statement: Record<string, unknown>[] })
      .Statement;
    const logs = statements.filter((st) => st.Sid === 'AllowCloudWatchLogsOfThisAccountToEncryptLogGroups');
    expect(logs).toHaveLength(1);
    expect(
      joined(
        (logs[0]!.Condition as { ArnLike: Record<string, unknown> }).ArnLike[
          'kms:EncryptionContext:aws:logs:arn'
        ],
      ),
    ).toBe('arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*');
  });
});

describe('without a GitHub App', () => {
  it('still deploys the pipeline, with no git host on the architect and the token broker', () => {
    const other = synthesize();
    const env = (step: 'architect' | 'job-context') =>
      (
        other.template.toJSON().Resources[other.logicalId(other.stack.engineering.steps[step].fn)].Properties
          .Environment as { Variables: Record<string, unknown> }
      ).Variables;
    for (const step of ['architect', 'job-context'] as const) {
      expect(env(step).GIT_HOST_DRIVER).toBe('none');
      expect(env(step).GITHUB_ORG).toBeUndefined();
      expect(env(step).GITHUB_APP_KEY_SECRET_ID).toEqual(
        ref(other.logicalId(other.stack.engineering.githubAppKey)),
      );
    }
    // With the devops pipeline, whose env analysis and deployer's broker have no git host either.
    other.template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    for (const step of ['analyse-env', 'deploy-context'] as const) {
      const fn = other.template.toJSON().Resources[other.logicalId(other.stack.devops.steps[step].fn)];
      expect(fn.Properties.Environment.Variables.GIT_HOST_DRIVER, step).toBe('none');
    }
    expect(listInfos(other)).toContainEqual(expect.stringMatching(/^No GitHub App/));
    expect(listInfos(s)).toEqual([]);
  });
});
