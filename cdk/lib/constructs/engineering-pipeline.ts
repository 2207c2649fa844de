import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ModelPrice } from '../../../lambdas/domain/usage/price-table.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';
import { REPO_ROOT } from '../paths.ts';
import {
  type GitHubAppSettings,
  OrchestratorFunction,
  type PipelineStateMachine,
} from './orchestrator-function.ts';
import type { KnowledgeStores } from './project-knowledge.ts';
import { WorkerCluster } from './worker-cluster.ts';

/** The ASL the state machine is deployed from (the local runner executes the same file). */
export const ENGINEERING_ASL = 'state-machines/engineering.asl.json';

/** The engineering Lambda steps: handler `lambdas/handlers/engineering/<step>.ts`. */
export const ENGINEERING_STEPS = [
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
export type EngineeringStep = (typeof ENGINEERING_STEPS)[number];

/** Lambda timeouts, each under its Task's TimeoutSeconds in the ASL (job-context: the workers' call). */
const STEP_TIMEOUTS: Record<EngineeringStep, Duration> = {
  'notify-owner': Duration.seconds(30),
  analyst: Duration.seconds(150),
  architect: Duration.seconds(100),
  'record-attempt': Duration.seconds(30),
  escalate: Duration.seconds(30),
  'stop-workers': Duration.seconds(50),
  'job-context': Duration.seconds(30),
  'start-deploy': Duration.seconds(30),
  'check-budget': Duration.seconds(30),
  'ask-budget': Duration.seconds(30),
  'index-knowledge': Duration.seconds(280),
};

/** The devops state machine's name under the stack name (the engineering run starts deploys). */
export const devopsStateMachineName = (prefix: string) => `${prefix}-devops`;

/**
 * A pipeline's state machine by its (fixed) name, for grants: no reference to the resource, so
 * functions it calls, or a pipeline built before it, may be granted on it without a cycle.
 */
export function stateMachineByName(
  scope: Construct,
  pipeline: PipelineStateMachine['pipeline'],
  stateMachineName: string,
): PipelineStateMachine {
  const stack = Stack.of(scope);
  return {
    pipeline,
    stateMachineArn: stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
    executionArns: stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  };
}

/** Secret name of the GitHub App's private key under the stack name. */
export const githubAppKeySecretName = (prefix: string) => `${prefix}/github/app-private-key`;

export interface EngineeringPipelineProps {
  key: IKey;
  logRetention: RetentionDays;
  /** `<stackName>`: names the state machine, the worker cluster and the App key secret. */
  namePrefix: string;
  /** Shared Lambda environment (admins, bot username, secrets driver). */
  environment: Record<string, string>;
  tables: { get(name: TableName): ITable };
  /** The FIFO queue into the consumer: pipeline events reach the owner's chat through it. */
  updateQueue: IQueue;
  botToken: ISecret;
  /** The model the analyst writes specs with and the coding engine runs on. */
  agentModelId: string;
  /** The operator's prices and budget: the analyst and record-attempt write usage (LLM_PRICES). */
  modelPrices: Record<string, ModelPrice>;
  userMonthlyBudgetUsd: number;
  github?: GitHubAppSettings;
  /** Project knowledge: indexed after each green build, searched by the analyst and the broker. */
  knowledge: KnowledgeStores;
}

/**
 * The engineering pipeline: the Standard state machine of state-machines/engineering.asl.json, its
 * nine step Lambdas (each with only what its step touches) and the Fargate workers it runs with
 * `.waitForTaskToken`. The GitHub App's private key is read by the architect and the token broker
 * (job-context) only: the workers get hour-long repository tokens from the broker.
 */
export class EngineeringPipeline extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;
  /** The state machine by name, for grants (see PipelineStateMachine). */
  readonly ref: PipelineStateMachine;
  readonly steps: Record<EngineeringStep, OrchestratorFunction>;
  readonly workers: WorkerCluster;
  readonly githubAppKey: Secret;
  /** The GitHub App the key belongs to, if the operator configured one (the devops steps use it too). */
  readonly github: GitHubAppSettings | undefined;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EngineeringPipelineProps) {
    super(scope, id);
    this.stateMachineName = `${props.namePrefix}-engineering`;
    const byName = stateMachineByName(this, 'engineering', this.stateMachineName);

    this.github = props.github;
    this.githubAppKey = new Secret(this, 'GitHubAppPrivateKey', {
      secretName: githubAppKeySecretName(props.namePrefix),
      description:
        "The engineering pipeline's GitHub App private key (PEM). Holds a generated placeholder until you put-secret-value the key downloaded from the App's settings.",
      encryptionKey: props.key,
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.githubAppKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "A GitHub App private key is generated by a human in the App's settings on github.com (there is no API to create one), so the operator rotates it by hand: generate, put-secret-value, then delete the old key on GitHub.",
    });
    if (!props.github) {
      // Info, not a warning: a first deploy without the App is a supported state (CI synthesizes it).
      Annotations.of(this).addInfo(
        'No GitHub App (githubOrg, githubAppId, githubInstallationId): the engineering pipeline is deployed but cannot create or push repositories until you set them and deploy again.',
      );
    }

    // Every step names the update queue (the config requires QUEUE_URL); only notify-owner may send.
    const step = (name: EngineeringStep, description: string, memorySize?: number) =>
      new OrchestratorFunction(this, pascal(name), {
        entry: `lambdas/handlers/engineering/${name}.ts`,
        serviceName: `engineering-${name}`,
        description: `Engineering pipeline: ${description}`,
        logRetention: props.logRetention,
        timeout: STEP_TIMEOUTS[name],
        environment: props.environment,
        ...(memorySize ? { memorySize } : {}),
      }).namesQueue(props.updateQueue);
    const { tables } = props;
    const projects = tables.get('projects');
    const usage = tables.get('usage');
    this.steps = {
      'notify-owner': step('notify-owner', "puts pipeline events into the owner's chat")
        .useTable(projects, 'projects', 'readWrite')
        .sendsTo(props.updateQueue),
      analyst: step('analyst', 'writes the spec')
        .useTable(projects, 'projects', 'readWrite')
        .useTable(usage, 'usage', 'readWrite')
        .invokesBedrockModels({ agent: props.agentModelId })
        .pricesModels(props.modelPrices, props.userMonthlyBudgetUsd)
        .usesProjectKnowledge(props.knowledge, 'search'),
      architect: step('architect', 'prepares the repository, scaffold and branch')
        .useTable(projects, 'projects', 'readWrite')
        .usesGitHubApp(props.github, this.githubAppKey),
      'record-attempt': step('record-attempt', 'records an attempt and its usage')
        .useTable(projects, 'projects', 'readWrite')
        .useTable(usage, 'usage', 'readWrite')
        .pricesModels(props.modelPrices, props.userMonthlyBudgetUsd),
      escalate: step('escalate', 'asks the owner what to do after red attempts')
        .useTable(projects, 'projects', 'readWrite')
        .useTable(tables.get('sessions'), 'sessions', 'readWrite')
        .useSecret(props.botToken, 'BOT_TOKEN_SECRET_ID'),
      'stop-workers': step('stop-workers', "stops a failed run's worker tasks").useTable(
        projects,
        'projects',
        'read',
      ),
      // "build and deploy it": starts the devops run once the build is green (by name: the devops
      // pipeline is built after this one and shares its functions).
      'start-deploy': step('start-deploy', 'starts the deploy of a green build')
        .useTable(projects, 'projects', 'readWrite')
        .startsRuns(stateMachineByName(this, 'devops', devopsStateMachineName(props.namePrefix))),
      // The budget gate before each attempt: reads the usage ledger and budgets (the usage table),
      // and asks the owner with buttons whose task token waits in the sessions table.
      'check-budget': step('check-budget', 'checks the monthly budgets before an attempt')
        .useTable(projects, 'projects', 'read')
        .useTable(usage, 'usage', 'read')
        .pricesModels(props.modelPrices, props.userMonthlyBudgetUsd),
      'ask-budget': step('ask-budget', 'asks the owner to raise the budget for the run or stop')
        .useTable(projects, 'projects', 'read')
        .useTable(usage, 'usage', 'read')
        .useTable(tables.get('sessions'), 'sessions', 'readWrite')
        .useSecret(props.botToken, 'BOT_TOKEN_SECRET_ID')
        .pricesModels(props.modelPrices, props.userMonthlyBudgetUsd),
      'job-context': step('job-context', 'token broker of the workers')
        .useTable(projects, 'projects', 'read')
        .usesGitHubApp(props.github, this.githubAppKey)
        .describesPipelineRuns(byName)
        .usesProjectKnowledge(props.knowledge, 'search'),
      // After a green attempt: the commit's docs and code (read with the GitHub App) and the run
      // summaries, indexed; it records the indexed commit on the project.
      'index-knowledge': step('index-knowledge', "indexes the project's knowledge at the built commit", 1024)
        .useTable(projects, 'projects', 'readWrite')
        .usesGitHubApp(props.github, this.githubAppKey)
        .usesProjectKnowledge(props.knowledge, 'index'),
    };

    const clusterName = `${props.namePrefix}-workers`;
    this.workers = new WorkerCluster(this, 'Workers', {
      key: props.key,
      logRetention: props.logRetention,
      clusterName,
      jobContext: this.steps['job-context'].fn,
      codingModelId: props.agentModelId,
    });
    this.steps['stop-workers'].stopsWorkers(this.workers.cluster, clusterName);

    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const { workers } = this;
    const [subnetA, subnetB] = workers.vpc.publicSubnets;
    if (!subnetA || !subnetB) throw new Error('The worker VPC needs two public subnets');
    const functions = {
      NotifyOwnerFunction: this.steps['notify-owner'],
      AnalystFunction: this.steps.analyst,
      ArchitectFunction: this.steps.architect,
      RecordAttemptFunction: this.steps['record-attempt'],
      EscalateFunction: this.steps.escalate,
      StopWorkersFunction: this.steps['stop-workers'],
      StartDeployFunction: this.steps['start-deploy'],
      CheckBudgetFunction: this.steps['check-budget'],
      AskBudgetFunction: this.steps['ask-budget'],
      IndexKnowledgeFunction: this.steps['index-knowledge'],
    };
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(`${REPO_ROOT}${ENGINEERING_ASL}`),
      definitionSubstitutions: {
        ...Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, f.fn.functionArn])),
        Cluster: workers.cluster.clusterArn,
        CodingWorkerTaskDefinition: workers.codingWorker.taskDefinitionArn,
        TesterTaskDefinition: workers.tester.taskDefinitionArn,
        SubnetA: subnetA.subnetId,
        SubnetB: subnetB.subnetId,
        WorkerSecurityGroup: workers.securityGroup.securityGroupId,
      },
      // ALL: every state transition is logged, for the timeline of a run. No execution data: the
      // payloads are references, but error causes and step results still name projects, owners and
      // chats, and the history (90 days in Step Functions) already holds them for whoever may read it.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    const { stateMachine } = this;
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'InvokeTheStepFunctions',
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(functions).map((f) => f.fn.functionArn),
      }),
    );
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'RunWorkersInTheWorkerCluster',
        actions: ['ecs:RunTask'],
        resources: [workers.codingWorker.taskDefinitionArn, workers.tester.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': workers.cluster.clusterArn } },
      }),
    );
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'PassWorkerRolesToEcs',
        actions: ['iam:PassRole'],
        resources: workers.passedRoles.map((role) => role.roleArn),
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    const defaultPolicy = stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray actions (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and the CloudWatch Logs vended-delivery actions Step Functions logging needs (CreateLogDelivery and the like) use Resource "*": neither takes resource-level permissions.',
      });
    }
    this.ref = { ...byName, dependable: stateMachine };
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
