import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { REPO_ROOT } from '../paths.ts';
import { bedrockInvokePolicy, SEND_TASK_REASON } from './orchestrator-function.ts';

/** The container name the state machine's ContainerOverrides address. */
export const WORKER_CONTAINER_NAME = 'worker';

/** What the image build context leaves out (the Dockerfiles copy what they need from the rest). */
export const IMAGE_CONTEXT_EXCLUDES: readonly string[] = [
  'node_modules',
  'cdk.out',
  '.local',
  '.bench',
  '.git',
  // The Claude Code CLI the CI installs for its contract tests: ~400 MB, never part of an image.
  '.cache',
];

/** Worker sizes: Fargate arm64 CPU units and MiB. */
export const WORKER_SIZES = {
  codingWorker: { cpu: 1024, memoryLimitMiB: 2048 },
  tester: { cpu: 512, memoryLimitMiB: 1024 },
} as const;

export interface WorkerClusterProps {
  key: IKey;
  logRetention: RetentionDays;
  /** Cluster name (literal: the stop-workers grant names its tasks by it). */
  clusterName: string;
  /** The token broker the workers ask for repository tokens, the spec and the last report. */
  jobContext: IFunction;
  /** Bedrock model or inference profile id the coding engine runs on (CLAUDE_CODE_MODEL). */
  codingModelId: string;
}

/**
 * Where the engineering pipeline's workers run: a VPC of two public subnets with no NAT gateway
 * (each task gets a public IP and reaches GitHub, Bedrock and the package registries over HTTPS
 * through the internet gateway), a security group with no ingress and egress on 443 only, flow
 * logs of all traffic, an ECS cluster with Container Insights, and the two arm64 Fargate task
 * definitions the state machine runs with `.waitForTaskToken`.
 *
 * The workers' roles hold no secret and no table: a worker asks the job-context Lambda (the token
 * broker) for a repository token valid an hour, and reports through SendTask* with its token.
 */
export class WorkerCluster extends Construct {
  readonly vpc: Vpc;
  readonly securityGroup: SecurityGroup;
  readonly cluster: Cluster;
  /** The cluster's literal name (Container Insights' ClusterName dimension, task ARNs). */
  readonly clusterName: string;
  readonly codingWorker: FargateTaskDefinition;
  readonly tester: FargateTaskDefinition;

  constructor(scope: Construct, id: string, props: WorkerClusterProps) {
    super(scope, id);
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // The default security group is used by nothing here; restricting it would deploy a custom
      // resource Lambda (with a managed policy) just to empty it.
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Every connection the coding agent makes, accepted or rejected: the record of what it talked to.
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: FlowLogTrafficType.ALL,
    });

    this.securityGroup = new SecurityGroup(this, 'WorkerSecurityGroup', {
      vpc: this.vpc,
      description: 'Engineering workers: no ingress; HTTPS out (GitHub, Bedrock, ECR, package registries)',
      allowAllOutbound: false,
    });
    // DNS goes to the VPC resolver, which security groups do not filter; nothing needs port 80.
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS');

    this.clusterName = props.clusterName;
    this.cluster = new Cluster(this, 'Cluster', {
      vpc: this.vpc,
      clusterName: props.clusterName,
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    const logGroup = new LogGroup(this, 'WorkerLogs', {
      retention: props.logRetention,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const common = { PIPELINES_DRIVER: 'sfn', JOB_CONTEXT_FUNCTION: props.jobContext.functionName };
    this.codingWorker = workerTaskDefinition(this, 'CodingWorker', {
      dockerfile: 'containers/coding-worker/Dockerfile',
      size: WORKER_SIZES.codingWorker,
      logGroup,
      streamPrefix: 'coding-worker',
      // Claude Code on Bedrock with the one model the task role may invoke, small tasks included.
      environment: {
        ...common,
        CODING_ENGINE: 'claude-code',
        CLAUDE_CODE_USE_BEDROCK: '1',
        CLAUDE_CODE_MODEL: props.codingModelId,
        ANTHROPIC_SMALL_FAST_MODEL: props.codingModelId,
      },
      jobContext: props.jobContext,
    });
    // Claude Code on Bedrock lists inference profiles and streams with InvokeModelWithResponseStream.
    const bedrock = bedrockInvokePolicy(
      this.codingWorker,
      'BedrockModels',
      this.codingWorker.taskRole,
      [props.codingModelId],
      ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
    );
    bedrock.addStatements(
      new PolicyStatement({
        sid: 'ClaudeCodeListsInferenceProfiles',
        actions: ['bedrock:ListInferenceProfiles'],
        resources: ['*'],
      }),
    );
    Validations.of(bedrock).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'bedrock:ListInferenceProfiles (Claude Code calls it at start on Bedrock) is a list action with no resource-level permissions, so AWS requires Resource "*"; it reads profile metadata, not models.',
    });

    this.tester = workerTaskDefinition(this, 'Tester', {
      dockerfile: 'containers/tester/Dockerfile',
      size: WORKER_SIZES.tester,
      logGroup,
      streamPrefix: 'tester',
      environment: common,
      jobContext: props.jobContext,
    });
  }

  /** The roles the state machine passes to ECS when it runs a worker. */
  get passedRoles() {
    return [this.codingWorker, this.tester].flatMap((task) => [task.taskRole, task.obtainExecutionRole()]);
  }
}

/** What a worker task definition is built from (see workerTaskDefinition). */
export interface WorkerTaskOptions {
  /** Relative to the repository root, the image's build context. */
  dockerfile: string;
  size: { cpu: number; memoryLimitMiB: number };
  logGroup: LogGroup;
  streamPrefix: string;
  environment: Record<string, string>;
  /** The one function the task may invoke: the broker it gets its job's context from. */
  jobContext: IFunction;
  /** Why the container's environment holds no secret (cdk-nag AwsSolutions-ECS2). */
  environmentReason?: string;
}

const WORKER_ENVIRONMENT_REASON =
  'The environment holds no secret: the driver name, the token broker function name, the coding engine and its model id. The task token and job arrive as per-run overrides; repository tokens come from the broker at run time.';

/**
 * An arm64 Fargate task definition of one container named `worker`, built from a Dockerfile of
 * this repository, logging to `logGroup`, whose task role may report with its task token and
 * invoke its broker and nothing else (callers add what a worker needs beyond that).
 */
export function workerTaskDefinition(
  scope: Construct,
  id: string,
  options: WorkerTaskOptions,
): FargateTaskDefinition {
  const task = new FargateTaskDefinition(scope, id, {
    ...options.size,
    runtimePlatform: {
      cpuArchitecture: CpuArchitecture.ARM64,
      operatingSystemFamily: OperatingSystemFamily.LINUX,
    },
  });
  task.addContainer(WORKER_CONTAINER_NAME, {
    containerName: WORKER_CONTAINER_NAME,
    // Built from the repository root (the workers share lambdas/ code); no Docker at synth time.
    image: ContainerImage.fromAsset(REPO_ROOT, {
      file: options.dockerfile,
      // A copy: CDK appends its own entries (the output directory, `!<Dockerfile>`) to this list.
      exclude: [...IMAGE_CONTEXT_EXCLUDES],
      platform: Platform.LINUX_ARM64,
    }),
    environment: options.environment,
    logging: LogDrivers.awsLogs({ logGroup: options.logGroup, streamPrefix: options.streamPrefix }),
  });
  // The worker reports with its task token and asks the token broker; nothing else.
  task.addToTaskRolePolicy(
    new PolicyStatement({
      sid: 'ReportWithTaskToken',
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      resources: ['*'],
    }),
  );
  task.addToTaskRolePolicy(
    new PolicyStatement({
      sid: 'AskTheTokenBroker',
      actions: ['lambda:InvokeFunction'],
      resources: [options.jobContext.functionArn],
    }),
  );
  const taskPolicy = task.taskRole.node.tryFindChild('DefaultPolicy');
  if (taskPolicy) {
    Validations.of(taskPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: SEND_TASK_REASON,
    });
  }
  Validations.of(task).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason: options.environmentReason ?? WORKER_ENVIRONMENT_REASON,
  });
  const executionPolicy = task.obtainExecutionRole().node.tryFindChild('DefaultPolicy');
  if (executionPolicy) {
    Validations.of(executionPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only ecr:GetAuthorizationToken uses Resource "*" (it has no resource-level permissions); pulling the image layers is limited to the asset repository and logging to the task’s own log group.',
    });
  }
  return task;
}
