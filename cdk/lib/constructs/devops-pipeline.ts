import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, LogGroup, MetricFilter, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DevopsStepName } from '../../../lambdas/app/devops-steps.ts';
import { BOT_TOKEN_VARIABLE } from '../../../lambdas/domain/deploys/env-analysis.ts';
import type { ModelPrice } from '../../../lambdas/domain/usage/price-table.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';
import { METRICS_NAMESPACE } from '../../../lambdas/ports/telemetry.ts';
import { REPO_ROOT } from '../paths.ts';
import { DeployerTask } from './deployer-task.ts';
import {
  devopsStateMachineName,
  type EngineeringPipeline,
  stateMachineByName,
} from './engineering-pipeline.ts';
import { OrchestratorFunction, type PipelineStateMachine } from './orchestrator-function.ts';

/** The ASL the state machine is deployed from (the local runner executes the same file). */
export const DEVOPS_ASL = 'state-machines/devops.asl.json';

/** The devops Lambda steps: handler `lambdas/handlers/devops/<step>.ts`. */
export const DEVOPS_STEPS = [
  'analyse-env',
  'prepare-secrets',
  'ask-for-secret',
  'allocate-resources',
  'smoke-test',
  'record-release',
  'deploy-context',
] as const satisfies readonly DevopsStepName[];
export type DevopsStep = (typeof DEVOPS_STEPS)[number];

/**
 * Lambda timeouts, each under its Task's TimeoutSeconds in the ASL (tests/cdk checks it):
 * analyse-env 180 s, the others 60 s; ask-for-secret only asks (its Task then waits up to a day);
 * deploy-context answers the deployer's call.
 */
const STEP_TIMEOUTS: Record<DevopsStep, Duration> = {
  'analyse-env': Duration.seconds(150),
  'prepare-secrets': Duration.seconds(50),
  'ask-for-secret': Duration.seconds(30),
  'allocate-resources': Duration.seconds(50),
  'smoke-test': Duration.seconds(20),
  'record-release': Duration.seconds(30),
  'deploy-context': Duration.seconds(30),
};

/** The ASL's Fail state a rollback ends in, and its error: the rolled-back metric counts it. */
export const ROLLED_BACK_STATE = 'Rolled back';
export const ROLLED_BACK_ERROR = 'DeployRolledBack';
/** Metric (namespace METRICS_NAMESPACE) of deploys that ended rolled back. */
export const ROLLED_BACK_METRIC = 'DeployRolledBack';

export interface DevopsPipelineProps {
  key: IKey;
  logRetention: RetentionDays;
  /** `<stackName>`: names the state machine; `<stackName>/` prefixes the secrets. */
  namePrefix: string;
  /** Shared Lambda environment (admins, bot username, secrets driver). */
  environment: Record<string, string>;
  tables: { get(name: TableName): ITable };
  /** The FIFO queue into the consumer: ask-for-secret puts its question into the chat through it. */
  updateQueue: IQueue;
  /** The model the env analysis advises with. */
  agentModelId: string;
  modelPrices: Record<string, ModelPrice>;
  userMonthlyBudgetUsd: number;
  /**
   * The engineering pipeline: its notify-owner and stop-workers are shared, the deployer runs in
   * its worker cluster, and its GitHub App key mints the read tokens.
   */
  engineering: EngineeringPipeline;
}

/**
 * The devops pipeline: the Standard state machine of state-machines/devops.asl.json, its seven
 * step Lambdas (each with only what its step touches), and the deployer task it runs with
 * `.waitForTaskToken`. The secrets a deploy needs (project secrets, the server's SSH key, a pool
 * bot's token) are read by one function only, deploy-context, which only the deployer's task
 * role may invoke; prepare-secrets may write project secrets and nothing else of them.
 */
export class DevopsPipeline extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;
  /** The state machine by name, for grants (see PipelineStateMachine). */
  readonly ref: PipelineStateMachine;
  readonly steps: Record<DevopsStep, OrchestratorFunction>;
  readonly deployer: DeployerTask;
  readonly logGroup: LogGroup;
  /** Counts executions that entered the `Rolled back` Fail state (from the execution logs). */
  readonly rolledBackFilter: MetricFilter;

  constructor(scope: Construct, id: string, props: DevopsPipelineProps) {
    super(scope, id);
    const { engineering, tables, key } = props;
    this.stateMachineName = devopsStateMachineName(props.namePrefix);
    const byName = stateMachineByName(this, 'devops', this.stateMachineName);
    const secretsPrefix = `${props.namePrefix}/`;

    // Every step names the update queue (the config requires QUEUE_URL) and where the deploy's
    // secrets live (the deployment resources compute names from it); only the grants below give
    // access to any of them.
    const step = (name: DevopsStep, description: string) =>
      new OrchestratorFunction(this, pascal(name), {
        entry: `lambdas/handlers/devops/${name}.ts`,
        serviceName: `devops-${name}`,
        description: `DevOps pipeline: ${description}`,
        logRetention: props.logRetention,
        timeout: STEP_TIMEOUTS[name],
        environment: props.environment,
      })
        .namesQueue(props.updateQueue)
        .namesDeploySecrets(secretsPrefix);
    const projects = tables.get('projects');
    this.steps = {
      'analyse-env': step('analyse-env', 'classifies the env contract at the commit')
        .useTable(projects, 'projects', 'readWrite')
        .useTable(tables.get('usage'), 'usage', 'readWrite')
        .invokesBedrockModels({ agent: props.agentModelId })
        .pricesModels(props.modelPrices, props.userMonthlyBudgetUsd)
        .usesGitHubApp(engineering.github, engineering.githubAppKey),
      // Reads the stored analysis and the pool index; writes generated project secrets.
      'prepare-secrets': step('prepare-secrets', 'generates infrastructure secrets, names missing ones')
        .useTable(projects, 'projects', 'read')
        .generatesProjectSecrets(secretsPrefix, key),
      'ask-for-secret': step('ask-for-secret', 'asks the owner for one secret and waits')
        .useTable(tables.get('sessions'), 'sessions', 'readWrite')
        .sendsTo(props.updateQueue),
      // Server, port and pool bot claims are conditional writes in the projects table. It reads one
      // project secret, TELEGRAM_BOT_TOKEN, to know whether the person gave their own bot (the
      // domain checks its existence by reading it): nothing else of the secrets.
      'allocate-resources': step('allocate-resources', 'allocates a server, a port and a pool bot')
        .useTable(projects, 'projects', 'readWrite')
        .readsProjectSecretKey(secretsPrefix, key, BOT_TOKEN_VARIABLE),
      // Probes the deployed service's health endpoint over the internet: no AWS access at all.
      'smoke-test': step('smoke-test', "probes the service's health endpoint"),
      'record-release': step('record-release', 'records the live release').useTable(
        projects,
        'projects',
        'readWrite',
      ),
      'deploy-context': step('deploy-context', "the deployer's broker: token, .env and SSH key")
        .useTable(projects, 'projects', 'read')
        .usesGitHubApp(engineering.github, engineering.githubAppKey)
        .readsDeploySecrets(secretsPrefix, key)
        .describesPipelineRuns(byName),
    };

    const { workers } = engineering;
    this.deployer = new DeployerTask(this, 'Deployer', {
      key,
      logRetention: props.logRetention,
      workers,
      deployContext: this.steps['deploy-context'].fn,
    });
    const [subnetA, subnetB] = workers.vpc.publicSubnets;
    if (!subnetA || !subnetB) throw new Error('The worker VPC needs two public subnets');

    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const functions = {
      NotifyOwnerFunction: engineering.steps['notify-owner'],
      // The budget gate is the engineering pipeline's: one ledger, one question per run.
      CheckBudgetFunction: engineering.steps['check-budget'],
      AskBudgetFunction: engineering.steps['ask-budget'],
      AnalyseEnvFunction: this.steps['analyse-env'],
      PrepareSecretsFunction: this.steps['prepare-secrets'],
      AskForSecretFunction: this.steps['ask-for-secret'],
      AllocateResourcesFunction: this.steps['allocate-resources'],
      SmokeTestFunction: this.steps['smoke-test'],
      RecordReleaseFunction: this.steps['record-release'],
      StopWorkersFunction: engineering.steps['stop-workers'],
    };
    const deployerTask = this.deployer.taskDefinition;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(`${REPO_ROOT}${DEVOPS_ASL}`),
      definitionSubstitutions: {
        ...Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, f.fn.functionArn])),
        Cluster: workers.cluster.clusterArn,
        DeployerTaskDefinition: deployerTask.taskDefinitionArn,
        SubnetA: subnetA.subnetId,
        SubnetB: subnetB.subnetId,
        // The ASL's name for the task's security group: the deployer's own (SSH out as well).
        WorkerSecurityGroup: this.deployer.securityGroup.securityGroupId,
      },
      // ALL: every state transition is logged, for the timeline of a deploy and the rolled-back
      // count below (which reads only event types and state names). No execution data: the
      // secrets' values never pass through Step Functions (the deployer gets them from
      // deploy-context), but state inputs do carry task tokens (ask-for-secret's payload), which
      // resume a waiting run with whatever value is sent, plus secret names, servers and ports.
      // The history (90 days in Step Functions) already holds those for whoever may read it.
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
        sid: 'RunTheDeployerInTheWorkerCluster',
        actions: ['ecs:RunTask'],
        resources: [deployerTask.taskDefinitionArn],
        conditions: { ArnEquals: { 'ecs:cluster': workers.cluster.clusterArn } },
      }),
    );
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'PassDeployerRolesToEcs',
        actions: ['iam:PassRole'],
        resources: this.deployer.passedRoles.map((role) => role.roleArn),
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

    // A rollback ends in the Fail state `Rolled back` (error DeployRolledBack), which the
    // ExecutionsFailed metric cannot tell from any other failure. The execution log's
    // FailStateEntered event names the state (a name, not execution data, so it is logged with
    // includeExecutionData false): one count per rolled-back deploy.
    this.rolledBackFilter = new MetricFilter(this, 'RolledBackDeploys', {
      logGroup: this.logGroup,
      filterPattern: FilterPattern.literal(
        `{ ($.type = "FailStateEntered") && ($.details.name = "${ROLLED_BACK_STATE}") }`,
      ),
      metricNamespace: METRICS_NAMESPACE,
      metricName: ROLLED_BACK_METRIC,
      metricValue: '1',
    });
    this.ref = { ...byName, dependable: stateMachine };
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
