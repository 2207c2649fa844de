import { RemovalPolicy } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import type { FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { WorkerCluster } from './worker-cluster.ts';
import { workerTaskDefinition } from './worker-cluster.ts';

/** The deployer's size: Ansible over SSH and a git archive, no build. */
export const DEPLOYER_SIZE = { cpu: 512, memoryLimitMiB: 1024 } as const;

/**
 * How often the deployer heartbeats (HEARTBEAT_SECONDS); the ASL's HeartbeatSeconds (180) allows
 * two missed beats before Step Functions gives up on it.
 */
export const DEPLOYER_HEARTBEAT_SECONDS = 60;

/** SSH: the port the deployer may reach servers on (a server's sshPort must be this). */
export const DEPLOYER_SSH_PORT = 22;

export interface DeployerTaskProps {
  key: IKey;
  logRetention: RetentionDays;
  /** The engineering pipeline's cluster and VPC: the deployer runs beside the workers. */
  workers: WorkerCluster;
  /** The deployer's broker (the devops deploy-context Lambda): its only source of secrets. */
  deployContext: IFunction;
}

/**
 * The deployer: one arm64 Fargate task per deploy or rollback, from containers/deployer, in the
 * worker cluster. Its role may report with its task token and invoke the deploy-context Lambda,
 * nothing else: the repository token, the .env values and the server's SSH key reach it only as
 * that Lambda's answer, never through its role, its environment or the state machine. Its own
 * security group allows no ingress and only HTTPS (GitHub, AWS APIs) and SSH out.
 */
export class DeployerTask extends Construct {
  readonly taskDefinition: FargateTaskDefinition;
  readonly securityGroup: SecurityGroup;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: DeployerTaskProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.workers.vpc,
      description: 'Deployer: no ingress; HTTPS out (GitHub, Step Functions, Lambda) and SSH to the servers',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS');
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(DEPLOYER_SSH_PORT), 'SSH to deploy servers');

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = workerTaskDefinition(this, 'TaskDefinition', {
      dockerfile: 'containers/deployer/Dockerfile',
      size: DEPLOYER_SIZE,
      logGroup: this.logGroup,
      streamPrefix: 'deployer',
      environment: {
        DEPLOY_RUNNER: 'docker',
        JOB_CONTEXT_FUNCTION: props.deployContext.functionName,
        HEARTBEAT_SECONDS: String(DEPLOYER_HEARTBEAT_SECONDS),
      },
      jobContext: props.deployContext,
      environmentReason:
        'The environment holds no secret: the runner kind, the deploy-context function name and the heartbeat interval. The task token and the deploy job (ids and a port) arrive as per-run overrides; the .env values and the SSH key come from the deploy-context Lambda at run time and stay in memory.',
    });
  }

  /** The roles the state machine passes to ECS when it runs the deployer. */
  get passedRoles() {
    return [this.taskDefinition.taskRole, this.taskDefinition.obtainExecutionRole()];
  }
}
