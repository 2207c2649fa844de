import { Annotations, Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ICluster } from 'aws-cdk-lib/aws-ecs';
import { type IRole, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, EventSourceMapping, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IDependable } from 'constructs';
import { DEFAULT_PRICES } from '../../../lambdas/config/config.ts';
import { tableSpec } from '../../../lambdas/config/tables.ts';
import type { ModelPrice } from '../../../lambdas/domain/usage/price-table.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';
import type { PipelineName } from '../../../lambdas/ports/pipelines.ts';
import { lambdaEsbuildOptions, toNodejsBundling } from '../bundling/esbuild-options.ts';
import { REPO_ROOT } from '../paths.ts';
import { bedrockInvokeStatements, parseBedrockModelId } from './bedrock-model-arns.ts';
import type { KnowledgeStores } from './project-knowledge.ts';

/**
 * What the knowledge adapters call (lambdas/adapters/aws/s3-vectors-index.ts, s3-blob-store.ts):
 * a search reads the index (GetIndex and its embedder tag) and queries it with a metadata filter
 * and metadata returned, which S3 Vectors authorizes as QueryVectors plus GetVectors; indexing
 * also creates the index (with its tag), puts and deletes vectors, and writes keyword indexes.
 */
const KNOWLEDGE_ACTIONS = {
  search: {
    vectors: [
      's3vectors:GetIndex',
      's3vectors:ListTagsForResource',
      's3vectors:QueryVectors',
      's3vectors:GetVectors',
    ],
    objects: ['s3:GetObject'],
  },
  index: {
    vectors: [
      's3vectors:GetIndex',
      's3vectors:ListTagsForResource',
      's3vectors:QueryVectors',
      's3vectors:GetVectors',
      's3vectors:CreateIndex',
      's3vectors:TagResource',
      's3vectors:PutVectors',
      's3vectors:DeleteVectors',
    ],
    objects: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
  },
} as const;

/** DynamoDB actions per access level: exactly what the KeyValueStore port calls. */
const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  /** Take, read back and release one record per key (the consumer's 25-hour update dedup). */
  claim: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  readWrite: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
} as const;

/**
 * What SecretsManagerStore (lambdas/adapters/aws/secrets-manager-store.ts) calls: get, put, create
 * (with KmsKeyId and Tags, so TagResource too), delete with a recovery window, and restore of a
 * secret pending deletion. Nothing lists or describes secrets.
 */
const SECRET_STORE_ACTIONS = [
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
  'secretsmanager:DeleteSecret',
  'secretsmanager:RestoreSecret',
];

/** Name families ChatSecretVault writes under its prefix (lambdas/domain/chat-secrets). */
export const PROJECT_SECRET_FAMILIES = {
  projects: 'one secret per project and key: projects/<projectId>/<KEY>',
  'chat-secrets': 'values sent in chat before they are claimed: chat-secrets/<userId>/<ref>',
  // Same prefix as the defaults of SERVER_KEYS_SECRETS_PREFIX and BOT_POOL_SECRETS_PREFIX
  // (resourceSecretPrefixes), so the consumer may keep what admins add.
  servers: 'one SSH private key per deployment server an admin adds: servers/<serverId>/ssh-key',
  'bot-pool': 'one token per pool bot an admin adds: bot-pool/<botId>/token',
} as const;

/**
 * The secrets a deploy uses, under the stack's secrets prefix: what people give and the deploy
 * generates (`projects/<projectId>/<KEY>`), the SSH key of each server an admin adds
 * (`servers/<serverId>/ssh-key`) and the token of each pool bot (`bot-pool/<botId>/token`).
 * `envVar`: where the Lambdas' config reads the family's prefix.
 */
export const DEPLOY_SECRET_FAMILIES = {
  projects: { path: 'projects/', readPattern: 'projects/*', envVar: undefined },
  servers: {
    path: 'servers/',
    readPattern: 'servers/*/ssh-key-??????',
    envVar: 'SERVER_KEYS_SECRETS_PREFIX',
  },
  botPool: {
    path: 'bot-pool/',
    readPattern: 'bot-pool/*/token-??????',
    envVar: 'BOT_POOL_SECRETS_PREFIX',
  },
} as const;

function assertSecretsPrefix(prefix: string): void {
  if (Token.isUnresolved(prefix) || !/^([A-Za-z0-9_+=.@-]+\/)+$/.test(prefix)) {
    throw new Error(`Secrets prefix "${prefix}" must be literal path segments ending in /`);
  }
}

/** A secret ARN pattern under the prefix (every secret ARN ends in `-` and 6 random characters). */
function secretArnUnder(prefix: string, path: string): string {
  return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}${path}`;
}

/** The stack key, used only by Secrets Manager on the caller's behalf. */
function secretsManagerKeyStatement(key: IKey, actions: string[]): PolicyStatement {
  return new PolicyStatement({
    sid: 'UseTheStackKeyThroughSecretsManager',
    actions,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
  });
}

function acknowledgeSecretWildcard(policy: Policy, prefix: string, path: string): void {
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}${path}]`,
    reason: `Secrets under ${prefix}${path.split('/')[0]}/ are created at run time (one per project key, server or pool bot), so their names are unknown at deploy time and every secret ARN ends in a random suffix; the wildcard stays inside this stack's prefix and that one family.`,
  });
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

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
  /** Where the AWS SDK v3 comes from (see LambdaBundleChoices). Default `bundled`. */
  awsSdk?: 'bundled' | 'runtime';
  /**
   * What grammY's Node build fetches with (see LambdaBundleChoices). Default `node-fetch`. With
   * `native`, grammY already passes `duplex: 'half'` for streamed bodies, and the built-in fetch
   * ignores node-fetch's `agent` and `compress` options (it keeps connections alive and
   * decompresses by itself).
   */
  fetch?: 'node-fetch' | 'native';
  /**
   * Shell commands run after esbuild, to put files the code reads at run time next to the bundle
   * (`outputDir` is the bundle's directory); run from the repository root.
   */
  afterBundling?: (outputDir: string) => string[];
}

export interface BedrockModels {
  /** Reads intents: `LLM_INTENT_MODEL=bedrock:<id>`. Absent: the function reads no intents. */
  intent?: string;
  /** The agent's reasoning model: `LLM_AGENT_MODEL=bedrock:<id>`. */
  agent: string;
}

/**
 * A state machine as the grants need it. Built from its (fixed) name rather than its resource, so
 * a function the state machine itself calls (the token broker) can be granted on it without a
 * dependency cycle.
 */
export interface PipelineStateMachine {
  /** Which pipeline it runs: names the env var (`<PIPELINE>_STATE_MACHINE_ARN`) and the policy. */
  pipeline: PipelineName;
  /** `arn:...:stateMachine:<name>` */
  stateMachineArn: string;
  /** `arn:...:execution:<name>:*`: every execution of it. */
  executionArns: string;
  /** The state machine resource, when the function may wait for it to exist (no cycle). */
  dependable?: IDependable;
}

/** The GitHub App the git host mints installation tokens with (operator inputs). */
export interface GitHubAppSettings {
  org: string;
  appId: string;
  installationId: string;
}

/** Why states:SendTask* statements use Resource "*". */
export const SEND_TASK_REASON =
  'states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat take no resource-level permissions (the task token is the credential), so AWS requires Resource "*" for them; tests/cdk asserts no other statement of this policy uses it.';

/** The cdk-nag finding id of a Resource in cdk-nag's notation (literal strings only). */
function acknowledgeExecutionWildcard(policy: Policy, stateMachine: PipelineStateMachine): void {
  const resolved = Stack.of(policy).resolve(stateMachine.executionArns) as unknown;
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagNotation(resolved)}]`,
    reason:
      'Executions are started at run time under names derived from project and run, so their ARNs are unknown at deploy time; the wildcard covers only the executions of this one state machine.',
  });
}

/** A resolved ARN as cdk-nag writes it in a finding id: `<AWS::Region>` for each Ref. */
function nagNotation(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`Cannot name ${JSON.stringify(value)} for cdk-nag`);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      return getAtt ? `<${getAtt[0]}.${getAtt[1]}>` : `<${(part as { Ref: string }).Ref}>`;
    })
    .join(join[0]);
}

/**
 * A Policy with bedrock:`actions` on exactly `modelIds` (see bedrockInvokeStatements), acknowledging
 * the Region wildcard each cross-Region inference profile needs.
 */
export function bedrockInvokePolicy(
  scope: Construct,
  id: string,
  role: IRole,
  modelIds: string[],
  actions: string[],
): Policy {
  const ids = [...new Set(modelIds)];
  const policy = new Policy(scope, id, {
    roles: [role],
    statements: bedrockInvokeStatements(ids).map(
      (statement) =>
        new PolicyStatement({
          sid: statement.sid,
          actions,
          resources: statement.resources,
          ...(statement.inferenceProfileArn
            ? {
                conditions: {
                  StringEquals: { 'bedrock:InferenceProfileArn': statement.inferenceProfileArn },
                },
              }
            : {}),
        }),
    ),
  });
  const profiles = new Map<string, { id: string; geography: string }>();
  for (const modelId of ids) {
    const model = parseBedrockModelId(modelId);
    if (model.kind === 'inference-profile')
      profiles.set(model.foundationModelId, { id: modelId, geography: model.geography });
  }
  for (const [foundationModelId, { id: profileId, geography }] of profiles) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${foundationModelId}]`,
      reason: `${profileId} is a ${geography} cross-Region inference profile: Bedrock routes each call to ${foundationModelId} in a Region of its choosing within that geography and checks InvokeModel on the foundation-model ARN there, so only the Region is a wildcard, and the statement holds only for calls made through that profile (condition bedrock:InferenceProfileArn).`,
    });
  }
  return policy;
}

/** CDK's command hooks with only `afterBundling`, its commands run from the repository root. */
function afterBundlingHooks(after: (outputDir: string) => string[]) {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      after(outputDir).map((command) => `cd ${shellQuote(REPO_ROOT)} && ${command}`),
  };
}

/** A string as one single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
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
  /** Powertools service name: the `service` dimension of its custom metrics (METRICS_NAMESPACE). */
  readonly serviceName: string;
  /** The esbuild options this function is bundled with. */
  readonly esbuildOptions: ReturnType<typeof lambdaEsbuildOptions>;
  private readonly modelIds: string[] = [];

  constructor(scope: Construct, id: string, props: OrchestratorFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    this.esbuildOptions = lambdaEsbuildOptions({
      awsSdk: props.awsSdk ?? 'bundled',
      fetch: props.fetch ?? 'node-fetch',
    });
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
        // Counters (lambdas/ports/telemetry.ts) as embedded metric format log lines: CloudWatch
        // turns them into metrics, with no PutMetricData call and no extra permission.
        METRICS_DRIVER: 'emf',
        ...props.environment,
      },
      // The same options the bench bundles with (cdk/lib/bundling/esbuild-options.ts).
      bundling: {
        ...toNodejsBundling(this.esbuildOptions),
        ...(props.afterBundling ? { commandHooks: afterBundlingHooks(props.afterBundling) } : {}),
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
    this.allowSqs(queue, ['sqs:SendMessage'], ['kms:GenerateDataKey', 'kms:Decrypt']);
    return this.withQueueUrl(queue);
  }

  /**
   * Passes the queue URL with no permission on it: the shared config (lambdas/config) requires
   * QUEUE_URL of every function on the sqs driver, even one that never sends.
   */
  namesQueue(queue: IQueue): this {
    return this.withQueueUrl(queue);
  }

  /**
   * Lets the function move a message to `deadLetterQueue` itself after its last real failure
   * (SendMessage with the same message group; DeleteMessage on the source queue is part of
   * consumesFrom) and passes the URL in DEAD_LETTER_QUEUE_URL.
   */
  deadLettersTo(deadLetterQueue: IQueue): this {
    this.allowSqs(deadLetterQueue, ['sqs:SendMessage'], ['kms:GenerateDataKey', 'kms:Decrypt']);
    this.fn.addEnvironment('DEAD_LETTER_QUEUE_URL', deadLetterQueue.queueUrl);
    return this;
  }

  /**
   * Subscribes the Lambda to `queue` with partial batch responses and a cap on concurrent
   * invocations. Grants what the event source polls with (receive, delete, attributes) and
   * ChangeMessageVisibility, which the consumer calls itself to retry later with backoff.
   */
  consumesFrom(queue: IQueue, options: { batchSize: number; maxConcurrency: number }): this {
    this.allowSqs(
      queue,
      [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ],
      ['kms:Decrypt'],
    );
    const mapping = new EventSourceMapping(this, 'Updates', {
      target: this.fn,
      eventSourceArn: queue.queueArn,
      batchSize: options.batchSize,
      maxConcurrency: options.maxConcurrency,
      reportBatchItemFailures: true,
    });
    // Lambda checks the role's queue permissions when it creates the mapping.
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) mapping.node.addDependency(defaultPolicy);
    return this.withQueueUrl(queue);
  }

  /**
   * Lets the function keep the secrets people send (ChatSecretVault) under `prefix`, encrypted
   * with `key`: the Secrets Manager calls of SecretsManagerStore on `<prefix>projects/*` and
   * `<prefix>chat-secrets/*` only, and the KMS calls Secrets Manager makes on the caller's behalf.
   * Sets PROJECT_SECRETS_PREFIX and SECRETS_KMS_KEY_ID.
   */
  keepsProjectSecrets(prefix: string, key: IKey): this {
    if (Token.isUnresolved(prefix) || !/^([A-Za-z0-9_+=.@-]+\/)+$/.test(prefix)) {
      throw new Error(`Project secrets prefix "${prefix}" must be literal path segments ending in /`);
    }
    const secretArn = (family: string) =>
      `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${prefix}${family}/*`;
    const families = Object.keys(PROJECT_SECRET_FAMILIES) as (keyof typeof PROJECT_SECRET_FAMILIES)[];
    const policy = new Policy(this, 'ProjectSecrets', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'ProjectSecretsUnderStackPrefix',
          actions: SECRET_STORE_ACTIONS,
          resources: families.map(secretArn),
        }),
        new PolicyStatement({
          sid: 'EncryptProjectSecretsThroughSecretsManager',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    for (const family of families) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}${family}/*]`,
        reason: `Secrets under ${prefix}${family}/ are created at run time, ${PROJECT_SECRET_FAMILIES[family]}, so their names are unknown at deploy time (and every secret ARN ends in a random suffix); the wildcard stays inside this stack's ${family}/ name prefix.`,
      });
    }
    this.fn.addEnvironment('PROJECT_SECRETS_PREFIX', prefix);
    this.fn.addEnvironment('SECRETS_KMS_KEY_ID', key.keyArn);
    return this;
  }

  /**
   * Points LLM_INTENT_MODEL and LLM_AGENT_MODEL at Bedrock and allows bedrock:InvokeModel (which
   * Converse is authorized as) on exactly those models: see bedrockInvokeArns.
   */
  invokesBedrockModels(models: BedrockModels): this {
    const ids = [...new Set([models.intent, models.agent].filter((id): id is string => id !== undefined))];
    const policy = bedrockInvokePolicy(this, 'BedrockModels', this.role, ids, ['bedrock:InvokeModel']);
    this.fn.node.addDependency(policy);
    this.modelIds.push(...ids);
    if (models.intent) this.fn.addEnvironment('LLM_INTENT_MODEL', `bedrock:${models.intent}`);
    this.fn.addEnvironment('LLM_AGENT_MODEL', `bedrock:${models.agent}`);
    return this;
  }

  /**
   * What the consumer's Step Functions driver calls on a pipeline: StartExecution and
   * ListExecutions on the state machine, DescribeExecution and GetExecutionHistory on its
   * executions, and SendTaskSuccess, with which the owner answers a waiting task token (the
   * escalation buttons, a secret a deploy waits for). Sets PIPELINES_DRIVER=sfn and
   * `<PIPELINE>_STATE_MACHINE_ARN`.
   */
  startsPipeline(stateMachine: PipelineStateMachine): this {
    const policy = new Policy(this, `${pascalCase(stateMachine.pipeline)}Pipeline`, {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'StartAndListRuns',
          actions: ['states:StartExecution', 'states:ListExecutions'],
          resources: [stateMachine.stateMachineArn],
        }),
        new PolicyStatement({
          sid: 'ReadRuns',
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: [stateMachine.executionArns],
        }),
        new PolicyStatement({
          sid: 'AnswerEscalations',
          actions: ['states:SendTaskSuccess'],
          resources: ['*'],
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    acknowledgeExecutionWildcard(policy, stateMachine);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: SEND_TASK_REASON,
    });
    return this.withPipeline(stateMachine);
  }

  /**
   * Project knowledge: `search` (the Product Owner, the analyst, the workers' broker) or `index`
   * (the indexing step, the repository sync). S3 Vectors actions on this stack's indexes only
   * (`<vector bucket>/index/<INDEX_VERSION>-*`), S3 on the keyword prefix only, and
   * bedrock:InvokeModel on the Titan Text Embeddings V2 model only. Sets KNOWLEDGE_DRIVER=aws,
   * KNOWLEDGE_VECTOR_BUCKET, KNOWLEDGE_BUCKET and KNOWLEDGE_PREFIX.
   */
  usesProjectKnowledge(stores: KnowledgeStores, access: keyof typeof KNOWLEDGE_ACTIONS): this {
    const actions = KNOWLEDGE_ACTIONS[access];
    const objects = stores.keywordBucket.arnForObjects(`${stores.keywordPrefix}*`);
    const policy = new Policy(this, 'ProjectKnowledge', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: access === 'index' ? 'IndexProjectKnowledge' : 'SearchProjectKnowledge',
          actions: [...actions.vectors],
          resources: [stores.indexArns],
        }),
        new PolicyStatement({
          sid: access === 'index' ? 'KeepKeywordIndexes' : 'ReadKeywordIndexes',
          actions: [...actions.objects],
          resources: [objects],
        }),
        new PolicyStatement({
          sid: 'EmbedWithTitanV2',
          actions: ['bedrock:InvokeModel'],
          resources: [stores.embeddingModelArn],
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    this.fn.node.addDependency(stores.dependable);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagNotation(Stack.of(policy).resolve(stores.indexArns))}]`,
      reason:
        'One S3 Vectors index per project, created at run time under the versioned name <version>-<project id>, so the names are unknown at deploy time; the wildcard covers only this version of our indexes in our vector bucket.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagNotation(Stack.of(policy).resolve(objects))}]`,
      reason:
        'One keyword index object per project (<prefix><project id>.keywords.json), written at run time; the wildcard covers only the knowledge prefix of the keyword bucket.',
    });
    this.fn.addEnvironment('KNOWLEDGE_DRIVER', 'aws');
    this.fn.addEnvironment('KNOWLEDGE_VECTOR_BUCKET', stores.vectorBucketName);
    this.fn.addEnvironment('KNOWLEDGE_BUCKET', stores.keywordBucket.bucketName);
    this.fn.addEnvironment('KNOWLEDGE_PREFIX', stores.keywordPrefix);
    return this;
  }

  /**
   * Lets the function stop runs of a pipeline (states:StopExecution on its executions, nothing
   * else): the admin API's `POST /runs/{run}/stop`. Use with startsPipeline, which names it.
   */
  stopsPipelineRuns(stateMachine: PipelineStateMachine): this {
    const policy = new Policy(this, `${pascalCase(stateMachine.pipeline)}Stops`, {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'StopRuns',
          actions: ['states:StopExecution'],
          resources: [stateMachine.executionArns],
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    acknowledgeExecutionWildcard(policy, stateMachine);
    return this.withPipeline(stateMachine);
  }

  /**
   * Lets the function check that a run is still going (states:DescribeExecution on the state
   * machine's executions, nothing else) and sets PIPELINES_DRIVER=sfn and
   * `<PIPELINE>_STATE_MACHINE_ARN`.
   */
  describesPipelineRuns(stateMachine: PipelineStateMachine): this {
    const policy = new Policy(this, `${pascalCase(stateMachine.pipeline)}Runs`, {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'DescribeRuns',
          actions: ['states:DescribeExecution'],
          resources: [stateMachine.executionArns],
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    acknowledgeExecutionWildcard(policy, stateMachine);
    return this.withPipeline(stateMachine);
  }

  /**
   * Lets the function start runs of a pipeline (states:StartExecution on its state machine) and
   * read one back (DescribeExecution on its executions: a repeated start answers with the run it
   * already started), nothing else. Sets PIPELINES_DRIVER=sfn and `<PIPELINE>_STATE_MACHINE_ARN`.
   */
  startsRuns(stateMachine: PipelineStateMachine): this {
    const policy = new Policy(this, `${pascalCase(stateMachine.pipeline)}Starts`, {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'StartRuns',
          actions: ['states:StartExecution'],
          resources: [stateMachine.stateMachineArn],
        }),
        new PolicyStatement({
          sid: 'ReadStartedRuns',
          actions: ['states:DescribeExecution'],
          resources: [stateMachine.executionArns],
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    acknowledgeExecutionWildcard(policy, stateMachine);
    return this.withPipeline(stateMachine);
  }

  /**
   * Points the git host at the GitHub App: reads its private key (`useSecret`, in
   * GITHUB_APP_KEY_SECRET_ID) and, when the operator configured the App, sets
   * GIT_HOST_DRIVER=github, GITHUB_ORG, GITHUB_APP_ID and GITHUB_INSTALLATION_ID; without it,
   * GIT_HOST_DRIVER=none. Only the functions that mint repository tokens get this.
   */
  usesGitHubApp(app: GitHubAppSettings | undefined, privateKey: ISecret): this {
    this.useSecret(privateKey, 'GITHUB_APP_KEY_SECRET_ID');
    if (!app) {
      this.fn.addEnvironment('GIT_HOST_DRIVER', 'none');
      return this;
    }
    this.fn.addEnvironment('GIT_HOST_DRIVER', 'github');
    this.fn.addEnvironment('GITHUB_ORG', app.org);
    this.fn.addEnvironment('GITHUB_APP_ID', app.appId);
    this.fn.addEnvironment('GITHUB_INSTALLATION_ID', app.installationId);
    return this;
  }

  /**
   * Lets the function list and stop the tasks of one ECS cluster (both conditioned on
   * `ecs:cluster`) and passes its ARN in WORKER_CLUSTER_ARN. `clusterName` is the cluster's literal
   * name (its task ARNs carry it).
   */
  stopsWorkers(cluster: ICluster, clusterName: string): this {
    if (Token.isUnresolved(clusterName)) throw new Error('stopsWorkers needs the literal cluster name');
    const policy = new Policy(this, 'WorkerTasks', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'ListTasksOfTheWorkerCluster',
          actions: ['ecs:ListTasks'],
          resources: ['*'],
          conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
        }),
        new PolicyStatement({
          sid: 'StopTasksOfTheWorkerCluster',
          actions: ['ecs:StopTask'],
          resources: [`arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${clusterName}/*`],
          conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
        }),
      ],
    });
    this.fn.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecs:ListTasks is authorized against container instances, which Fargate tasks have none of, so it takes "*"; the statement is limited to the worker cluster by the ecs:cluster condition.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/${clusterName}/*]`,
      reason:
        'Worker tasks are started by the state machine at run time, so their task ids are unknown at deploy time; the wildcard covers only tasks of the worker cluster (also required by the ecs:cluster condition).',
    });
    this.fn.addEnvironment('WORKER_CLUSTER_ARN', cluster.clusterArn);
    return this;
  }

  /**
   * Names where the deploy's secrets live, with no permission on them: PROJECT_SECRETS_PREFIX,
   * and SERVER_KEYS_SECRETS_PREFIX and BOT_POOL_SECRETS_PREFIX under it (DEPLOY_SECRET_FAMILIES).
   * Every devops step builds the deployment resources, which compute secret names from these.
   */
  namesDeploySecrets(prefix: string): this {
    assertSecretsPrefix(prefix);
    this.fn.addEnvironment('PROJECT_SECRETS_PREFIX', prefix);
    for (const family of Object.values(DEPLOY_SECRET_FAMILIES)) {
      if (family.envVar) this.fn.addEnvironment(family.envVar, `${prefix}${family.path}`);
    }
    return this;
  }

  /**
   * The devops secrets step: SecretsManagerStore's get, put, create (with the stack key and tags)
   * and restore of a secret pending deletion, on `<prefix>projects/*` only (never delete, never
   * the server keys or pool tokens), and the KMS calls Secrets Manager makes for it. Sets
   * SECRETS_KMS_KEY_ID and the names of namesDeploySecrets.
   */
  generatesProjectSecrets(prefix: string, key: IKey): this {
    this.namesDeploySecrets(prefix);
    const projects = secretArnUnder(prefix, `${DEPLOY_SECRET_FAMILIES.projects.path}*`);
    const policy = new Policy(this, 'ProjectSecrets', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'GenerateProjectSecrets',
          actions: SECRET_STORE_ACTIONS.filter((action) => action !== 'secretsmanager:DeleteSecret'),
          resources: [projects],
        }),
        secretsManagerKeyStatement(key, ['kms:GenerateDataKey', 'kms:Decrypt']),
      ],
    });
    this.fn.node.addDependency(policy);
    acknowledgeSecretWildcard(policy, prefix, `${DEPLOY_SECRET_FAMILIES.projects.path}*`);
    this.fn.addEnvironment('SECRETS_KMS_KEY_ID', key.keyArn);
    return this;
  }

  /**
   * Lets the function read (GetSecretValue, nothing else) one secret key of every project,
   * `<prefix>projects/<id>/<secretKey>`, e.g. whether the person gave their own bot token.
   */
  readsProjectSecretKey(prefix: string, key: IKey, secretKey: string): this {
    if (!/^[A-Z][A-Z0-9_]*$/.test(secretKey)) throw new Error(`"${secretKey}" is not a secret key`);
    this.namesDeploySecrets(prefix);
    const path = `${DEPLOY_SECRET_FAMILIES.projects.path}*/${secretKey}-??????`;
    const policy = new Policy(this, 'ProjectSecretKey', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: `Read${pascalCase(secretKey.toLowerCase().replaceAll('_', '-'))}OfProjects`,
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretArnUnder(prefix, path)],
        }),
        secretsManagerKeyStatement(key, ['kms:Decrypt']),
      ],
    });
    this.fn.node.addDependency(policy);
    acknowledgeSecretWildcard(policy, prefix, path);
    return this;
  }

  /**
   * The deployer's broker: GetSecretValue (nothing else) on the project secrets, the servers' SSH
   * keys and the pool bots' tokens under `prefix`, and kms:Decrypt through Secrets Manager. Sets
   * the names of namesDeploySecrets.
   */
  readsDeploySecrets(prefix: string, key: IKey): this {
    this.namesDeploySecrets(prefix);
    const paths = Object.values(DEPLOY_SECRET_FAMILIES).map((family) => family.readPattern);
    const policy = new Policy(this, 'DeploySecrets', {
      roles: [this.role],
      statements: [
        new PolicyStatement({
          sid: 'ReadDeploySecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: paths.map((path) => secretArnUnder(prefix, path)),
        }),
        secretsManagerKeyStatement(key, ['kms:Decrypt']),
      ],
    });
    this.fn.node.addDependency(policy);
    for (const path of paths) acknowledgeSecretWildcard(policy, prefix, path);
    return this;
  }

  /**
   * Passes the operator's model prices (USD per million tokens) in LLM_PRICES, over the built-in
   * table of lambdas/config (DEFAULT_PRICES), and the default monthly budget per user in
   * USER_MONTHLY_BUDGET_USD. Warns at synth about a configured model neither prices: its usage
   * would be recorded at cost 0.
   */
  pricesModels(prices: Record<string, ModelPrice>, monthlyBudgetUsdPerUser: number): this {
    if (Object.keys(prices).length > 0) this.fn.addEnvironment('LLM_PRICES', JSON.stringify(prices));
    this.fn.addEnvironment('USER_MONTHLY_BUDGET_USD', String(monthlyBudgetUsdPerUser));
    for (const id of this.modelIds.filter((m) => !(m in prices) && !(m in DEFAULT_PRICES))) {
      Annotations.of(this).addWarningV2(
        'codegen:unpriced-model',
        `No price for ${id}: its token usage counts as $0. Add it to modelPrices in the operator file.`,
      );
    }
    return this;
  }

  /** `actions` on the queue, and the KMS calls SQS makes with its key on the caller's behalf. */
  private allowSqs(queue: IQueue, actions: string[], keyActions: string[]): void {
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [queue.queueArn] }));
    const key = queue.encryptionMasterKey;
    if (key) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: keyActions,
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${Aws.REGION}.amazonaws.com` } },
        }),
      );
    }
  }

  private withPipeline(stateMachine: PipelineStateMachine): this {
    if (stateMachine.dependable) this.fn.node.addDependency(stateMachine.dependable);
    this.fn.addEnvironment('PIPELINES_DRIVER', 'sfn');
    this.fn.addEnvironment(
      `${stateMachine.pipeline.toUpperCase()}_STATE_MACHINE_ARN`,
      stateMachine.stateMachineArn,
    );
    return this;
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
