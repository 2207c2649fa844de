import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../lambdas/handlers/api/routes.ts';
import { INSPECTOR_SHELL_PATHS } from '../../lambdas/inspector/inspector-shell.ts';
import { actionsOn, type Statement, statementsOfRole } from './support/iam.ts';
import { arnOf, type Synthesized, synthesize } from './support/synth.ts';

let s: Synthesized;
let handler: Statement[];
let authorizer: Statement[];
let ids: Record<string, string>;

beforeAll(() => {
  s = synthesize();
  const { adminApi, tables } = s.stack;
  ids = {
    handlerFn: s.logicalId(adminApi.handler.fn),
    authorizerFn: s.logicalId(adminApi.authorizerFunction.fn),
    api: s.logicalId(adminApi.api),
    accessLogs: s.logicalId(adminApi.accessLogs),
    ...Object.fromEntries(
      (['users', 'sessions', 'projects', 'usage', 'dedup', 'checkpoints'] as const).map((t) => [
        t,
        s.logicalId(tables.get(t)),
      ]),
    ),
  };
  handler = statementsOfRole(s.template, s.logicalId(adminApi.handler.role));
  authorizer = statementsOfRole(s.template, s.logicalId(adminApi.authorizerFunction.role));
});

const routes = () =>
  Object.values(s.template.findResources('AWS::ApiGatewayV2::Route')).map(
    (r) => (r as { Properties: Record<string, unknown> }).Properties,
  );

describe('admin API authorizer', () => {
  it('is a REQUEST authorizer on the Authorization header, simple responses, cached per header', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: { Ref: ids.api },
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerUri: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([arnOf(ids.authorizerFn ?? '')])]),
      }),
    });
  });

  it('guards every route but the public OpenAPI document and the inspector page’s shell', () => {
    const ofApi = routes().filter((r) => JSON.stringify(r.ApiId) === JSON.stringify({ Ref: ids.api }));
    expect(ofApi.map((r) => r.RouteKey).sort()).toEqual([
      'ANY /{proxy+}',
      'GET /inspector',
      'GET /inspector/inspector.css',
      'GET /inspector/inspector.js',
      'GET /openapi.json',
    ]);
    const proxy = ofApi.find((r) => r.RouteKey === 'ANY /{proxy+}');
    expect(proxy).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: expect.any(String) } });
    const open = ofApi.filter((r) => (r.AuthorizationType ?? 'NONE') === 'NONE').map((r) => r.RouteKey);
    expect(open.sort()).toEqual(
      ['GET /openapi.json', ...INSPECTOR_SHELL_PATHS.map((path) => `GET ${path}`)].sort(),
    );
    for (const route of ofApi.filter((r) => r.RouteKey !== 'ANY /{proxy+}')) {
      expect(route.AuthorizerId, String(route.RouteKey)).toBeUndefined();
    }
  });

  it('sends the inspector page’s data through the authorizer: no public route serves them', () => {
    const dataRoutes = API_ROUTES.filter((r) => r.path.startsWith('/inspector/')).map((r) => r.path);
    expect(dataRoutes).toEqual(['/inspector/api/runs', '/inspector/api/runs/{run}']);
    const publicPaths = routes()
      .filter((r) => (r.AuthorizationType ?? 'NONE') === 'NONE')
      .map((r) => String(r.RouteKey).split(' ')[1] ?? '');
    for (const path of dataRoutes) {
      // Public routes are exact paths (no path variable), and none is a data path or above one.
      expect(publicPaths.every((p) => !p.includes('{'))).toBe(true);
      expect(publicPaths).not.toContain(path.replace('/{run}', ''));
    }
  });

  it('has no access to any table, secret, queue or pipeline: it checks the key’s shape only', () => {
    const actions = authorizer.flatMap((st) => st.actions);
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))).toEqual([]);
  });
});

describe('run inspector page', () => {
  it('is an output of the stack: the admin API’s /inspector, without a trailing slash', () => {
    const [output] = Object.values(s.template.findOutputs('RunInspectorUrl')) as Array<{ Value: unknown }>;
    const value = JSON.stringify(output?.Value);
    expect(value).toContain(ids.api);
    expect(value).toMatch(/[^/]\/inspector"\]\]\}$/);
  });
});

describe('admin API throttling', () => {
  it('throttles the whole stage by default', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: ids.api },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('lets no route out of the stage’s throttle, the public page shell included', () => {
    const [stage] = Object.values(
      s.template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: { Ref: ids.api } } }),
    ) as Array<{ Properties: { RouteSettings?: unknown } }>;
    // Per-route settings would replace the default ones for that route: there are none.
    expect(stage?.Properties.RouteSettings).toBeUndefined();
  });

  it('gives the handler each key’s token bucket, kept in the sessions table it may write', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          API_RATE_LIMIT_PER_SECOND: '5',
          API_RATE_LIMIT_BURST: '30',
          SESSIONS_TABLE: { Ref: ids.sessions },
        }),
      },
    });
    expect(actionsOn(handler, ids.sessions ?? '')).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']),
    );
  });
});

describe('admin API logging', () => {
  it('access-logs every request to its own log group, as JSON without headers or bodies', () => {
    const [stage] = Object.values(
      s.template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: { Ref: ids.api } } }),
    ) as Array<{ Properties: { AccessLogSettings: { DestinationArn: unknown; Format: string } } }>;
    expect(stage?.Properties.AccessLogSettings.DestinationArn).toEqual(arnOf(ids.accessLogs ?? ''));
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format ?? '{}') as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(Object.values(format).join(' ')).not.toMatch(/header|authorization|apiKey|body/i);
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });
});

describe('admin API handler role', () => {
  it('reads and writes keys, sessions and projects, only reads usage, and touches no other table', () => {
    for (const table of ['users', 'sessions', 'projects'] as const) {
      expect(actionsOn(handler, ids[table] ?? '').sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
    }
    expect(actionsOn(handler, ids.usage ?? '').sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(actionsOn(handler, ids.dedup ?? '')).toEqual([]);
    expect(actionsOn(handler, ids.checkpoints ?? '')).toEqual([]);
  });

  it('reads no secret and sends to no queue', () => {
    const actions = handler.flatMap((st) => st.actions);
    expect(actions.filter((a) => a.startsWith('secretsmanager:') || a.startsWith('sqs:'))).toEqual([]);
  });

  it('starts, reads, answers and stops runs of both pipelines, nothing else in Step Functions', () => {
    const states = [...new Set(handler.flatMap((st) => st.actions).filter((a) => a.startsWith('states:')))];
    expect(states.sort()).toEqual([
      'states:DescribeExecution',
      'states:GetExecutionHistory',
      'states:ListExecutions',
      'states:SendTaskSuccess',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    const stops = handler.filter((st) => st.actions.includes('states:StopExecution'));
    expect(stops).toHaveLength(2);
    for (const st of stops) expect(JSON.stringify(st.resources)).toContain(':execution:');
  });
});
