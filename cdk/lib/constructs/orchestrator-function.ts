import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { tableSpec } from '../../../lambdas/config/tables.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';
import { REPO_ROOT } from '../paths.ts';

/** DynamoDB actions per access level: exactly what the KeyValueStore port calls. */
const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
} as const;

/** Lets ESM bundles load CommonJS dependencies that call `require`. */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

export interface OrchestratorFunctionProps {
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  /** Powertools service name, also used in the description. */
  serviceName: string;
  description: string;
  logRetention: RetentionDays;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

/**
 * Our Lambda: NodejsFunction with the project's defaults set once (Node 22 on arm64, minified ESM
 * with source maps, X-Ray, its own log group and its own role with no managed policy), plus
 * helpers that grant access and set the matching environment variable together.
 */
export class OrchestratorFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: OrchestratorFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.serviceName} Lambda`,
    });
    this.logGroup.grantWrite(role);
    this.role = role;

    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: CREATE_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        logLevel: LogLevel.WARNING,
        // Ship the SDK versions pinned in package-lock.json, the ones the tests ran against.
        bundleAwsSDK: true,
      },
    });

    this.acknowledgeFindings();
  }

  /** Grants the port's actions on `table` and tells the Lambda its physical name. */
  useTable(table: ITable, tableName: TableName, access: keyof typeof TABLE_ACTIONS): this {
    table.grant(this.role, ...TABLE_ACTIONS[access]);
    this.fn.addEnvironment(tableSpec(tableName).envVar, table.tableName);
    return this;
  }

  /** Grants read of `secret` (and decrypt through Secrets Manager) and passes its ARN in `envVar`. */
  useSecret(secret: ISecret, envVar: string): this {
    secret.grantRead(this.role);
    this.fn.addEnvironment(envVar, secret.secretArn);
    return this;
  }

  /** Grants sqs:SendMessage (and the KMS calls SSE needs) and passes the queue URL. */
  sendsTo(queue: IQueue): this {
    queue.grant(this.role, 'sqs:SendMessage');
    queue.encryptionMasterKey?.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    return this.withQueueUrl(queue);
  }

  /** Subscribes the Lambda to `queue` (receive, delete, decrypt) with partial batch responses. */
  consumesFrom(queue: IQueue, batchSize: number): this {
    this.fn.addEventSource(new SqsEventSource(queue, { batchSize, reportBatchItemFailures: true }));
    return this.withQueueUrl(queue);
  }

  private withQueueUrl(queue: IQueue): this {
    this.fn.addEnvironment('QUEUE_DRIVER', 'sqs');
    this.fn.addEnvironment('QUEUE_URL', queue.queueUrl);
    return this;
  }

  private acknowledgeFindings(): void {
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The product pins the Node.js 22 Lambda runtime (the version it is built and tested on, matching the esbuild node22 target); Node 24 is adopted deliberately, not by drift.',
    });
    // Tracing.ACTIVE puts the X-Ray statement in the role's default policy.
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource::*: X-Ray has no resource-level permissions, so AWS requires "*" for them (tests/cdk asserts no other statement does).',
      });
    }
  }
}
