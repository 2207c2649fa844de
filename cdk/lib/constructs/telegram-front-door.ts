import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { LambdaBundleChoices } from '../bundling/esbuild-options.ts';
import { OrchestratorFunction } from './orchestrator-function.ts';

export const WEBHOOK_PATH = '/telegram/webhook';

/**
 * Kept small (≤ 300 KB): the webhook answers Telegram, so its cold start is on Telegram's clock.
 * It calls only long-stable SQS and Secrets Manager APIs, whose clients the SDK v3 in the Node.js
 * 22 runtime serves, and sends nothing but text, so the built-in fetch does. The bench
 * (scripts/bench/bundle.ts) bundles with these choices too.
 */
export const WEBHOOK_BUNDLE_CHOICES: LambdaBundleChoices = { awsSdk: 'runtime', fetch: 'native' };

export interface TelegramFrontDoorProps {
  logRetention: RetentionDays;
  environment: Record<string, string>;
}

/** Fields of one access-log line; nothing from headers or body (the secret token is a header). */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  error: '$context.error.message',
};

/**
 * The public edge: an HTTP API with one route, POST /telegram/webhook, to the webhook Lambda,
 * throttled per stage and access-logged. The Lambda checks the secret token and enqueues (SQS
 * FIFO deduplicates repeats within 5 minutes; the consumer's dedup record covers 25 hours), so
 * it answers Telegram in well under its 10 s.
 */
export class TelegramFrontDoor extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly webhook: OrchestratorFunction;
  readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: TelegramFrontDoorProps) {
    super(scope, id);
    this.webhook = new OrchestratorFunction(this, 'Webhook', {
      entry: 'lambdas/handlers/webhook.ts',
      serviceName: 'telegram-webhook',
      description: 'Telegram webhook: verifies the secret token and enqueues the update (one SQS call)',
      logRetention: props.logRetention,
      timeout: Duration.seconds(10),
      memorySize: 512,
      environment: props.environment,
      ...WEBHOOK_BUNDLE_CHOICES,
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'Telegram webhook endpoint of the codegen orchestrator',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { burstLimit: 100, rateLimit: 50 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const [route] = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('WebhookIntegration', this.webhook.fn),
    });
    if (route) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Telegram cannot sign requests or send IAM/JWT credentials; the webhook Lambda authenticates every call by comparing X-Telegram-Bot-Api-Secret-Token with the Secrets Manager value in constant time and answers 401 otherwise.',
      });
    }
    this.webhookUrl = `${this.stage.url}${WEBHOOK_PATH.slice(1)}`;
  }
}
