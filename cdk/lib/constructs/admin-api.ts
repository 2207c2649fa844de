import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INSPECTOR_ASSET_DIR } from '../../../lambdas/inspector/bundled-assets.ts';
import { INSPECTOR_SHELL_PATHS } from '../../../lambdas/inspector/inspector-shell.ts';
import { OrchestratorFunction, type PipelineStateMachine, shellQuote } from './orchestrator-function.ts';
import type { OrchestratorTables } from './tables.ts';

/** The stage's own limits, across all keys; each key also has its token bucket (API_RATE_LIMIT_*). */
export const ADMIN_API_THROTTLE = { rateLimit: 20, burstLimit: 40 };
/** Each key's token bucket (lambdas/domain/api-keys/rate-limiter.ts): requests per second, and at once. */
export const ADMIN_API_KEY_RATE = { perSecond: 5, burst: 30 };
/** The authorizer's answer is a pure function of the header, so it may be cached this long. */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

export interface AdminApiProps {
  logRetention: RetentionDays;
  environment: Record<string, string>;
  tables: OrchestratorTables;
  /** Named only: the shared configuration requires QUEUE_URL; the API never sends to it. */
  updateQueue: IQueue;
  pipelines: { engineering: PipelineStateMachine; devops: PipelineStateMachine };
}

/**
 * The run inspector page's build (scripts/build-inspector-assets.ts: the same esbuild build the
 * local stack makes at start-up) into `<bundle>/inspector/`, where the handler reads it.
 */
export function inspectorAssetCommands(outputDir: string): string[] {
  const target = shellQuote(`${outputDir}/${INSPECTOR_ASSET_DIR}`);
  return [`node --import tsx scripts/build-inspector-assets.ts ${target}`];
}

/** Fields of one access-log line: never a header (the API key is one) or a body. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  authorizerError: '$context.authorizer.error',
  error: '$context.error.message',
};

/**
 * The admin API: an HTTP API of its own (`ANY /{proxy+}` to one Lambda that routes, and a public
 * `GET /openapi.json` and run inspector page shell), throttled per stage and access-logged. A Lambda authorizer turns away
 * anything that is not shaped like an API key before it reaches the function; the function checks
 * the key's hash, revocation and owner and takes a token from the key's bucket on every request
 * (HTTP APIs have no usage plans). Buffered: a run's event stream is answered as "the events so
 * far" and the client re-polls with Last-Event-ID (see README).
 */
export class AdminApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly handler: OrchestratorFunction;
  readonly authorizerFunction: OrchestratorFunction;
  readonly accessLogs: LogGroup;
  readonly url: string;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const { tables } = props;
    this.handler = new OrchestratorFunction(this, 'Handler', {
      entry: 'lambdas/handlers/admin-api.ts',
      serviceName: 'admin-api',
      description: 'Admin API: API keys, per-key rate limit, projects, runs, deploys, resources, usage',
      logRetention: props.logRetention,
      // Under API Gateway's 30 s integration timeout, so a slow call ends in our own problem.
      timeout: Duration.seconds(25),
      memorySize: 512,
      environment: {
        ...props.environment,
        API_RATE_LIMIT_PER_SECOND: String(ADMIN_API_KEY_RATE.perSecond),
        API_RATE_LIMIT_BURST: String(ADMIN_API_KEY_RATE.burst),
      },
      // The run inspector page it serves at /inspector, built beside the bundle.
      afterBundling: inspectorAssetCommands,
    });
    // Keys (users: hashes only) and who is admitted; rate buckets, escalations and secret requests
    // (sessions); projects and run records; usage is only read.
    this.handler
      .useTable(tables.get('users'), 'users', 'readWrite')
      .useTable(tables.get('sessions'), 'sessions', 'readWrite')
      .useTable(tables.get('projects'), 'projects', 'readWrite')
      .useTable(tables.get('usage'), 'usage', 'read')
      .namesQueue(props.updateQueue);
    for (const pipeline of [props.pipelines.engineering, props.pipelines.devops]) {
      this.handler.startsPipeline(pipeline).stopsPipelineRuns(pipeline);
    }

    this.authorizerFunction = new OrchestratorFunction(this, 'Authorizer', {
      entry: 'lambdas/handlers/admin-api-authorizer.ts',
      serviceName: 'admin-api-authorizer',
      description: 'Admin API authorizer: lets through only requests with a well-formed API key (no I/O)',
      logRetention: props.logRetention,
      timeout: Duration.seconds(5),
      memorySize: 256,
      environment: props.environment,
      awsSdk: 'runtime',
      fetch: 'native',
    });
    const authorizer = new HttpLambdaAuthorizer('ApiKeyFormat', this.authorizerFunction.fn, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'Admin API of the codegen orchestrator (API keys)',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: ADMIN_API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    const integration = new HttpLambdaIntegration('HandlerIntegration', this.handler.fn);
    this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration, authorizer });
    const [document] = this.api.addRoutes({ path: '/openapi.json', methods: [HttpMethod.GET], integration });
    if (document) {
      Validations.of(document).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'GET /openapi.json is the public description of the API (no data, no state); every other route goes through the API key authorizer and the handler checks the key on each request.',
      });
    }
    // The run inspector page's shell: HTML, script and style, no data. The page asks for a key
    // and sends it to its data routes (/inspector/api/...), which go through the authorizer.
    for (const path of INSPECTOR_SHELL_PATHS) {
      for (const route of this.api.addRoutes({ path, methods: [HttpMethod.GET], integration })) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `GET ${path} is part of the run inspector page's static shell (HTML, script or style, the same for everyone, no data, no state); the page's data routes go through the API key authorizer and the handler checks the key on each request.`,
        });
      }
    }
    this.url = this.stage.url;
  }
}
