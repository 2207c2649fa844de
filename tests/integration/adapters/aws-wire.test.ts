import { createHash } from 'node:crypto';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EcsWorkerTasks } from '../../../lambdas/adapters/aws/ecs-worker-tasks.ts';
import { SecretsManagerStore } from '../../../lambdas/adapters/aws/secrets-manager-store.ts';
import { SqsQueue } from '../../../lambdas/adapters/aws/sqs-queue.ts';
import { QueueMessageTooLargeError } from '../../../lambdas/ports/queue.ts';
import { SecretNotFoundError } from '../../../lambdas/ports/secrets.ts';
import { AwsJsonError, type AwsJsonServer, startAwsJsonServer } from '../../support/aws-json-server.ts';

// Contract tests: the real SDK v3 clients talk to a local AWS JSON endpoint, so what is asserted is
// the bytes on the wire and how real responses and errors come back through our adapters.
const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

let server: AwsJsonServer;

beforeAll(async () => {
  server = await startAwsJsonServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.calls.length = 0;
});

describe('SqsQueue over AWS JSON 1.0', () => {
  const queueUrl = () => `${server.endpoint}/000000000000/jobs.fifo`;
  const queue = () =>
    new SqsQueue({ queueUrl: queueUrl(), client: new SQSClient(clientConfig(server.endpoint)) });

  it('sends the body with its group and deduplication ids', async () => {
    // Prepare
    server.handle({
      'AmazonSQS.SendMessage': (body) => ({
        MessageId: 'm-1',
        MD5OfMessageBody: md5(String(body.MessageBody)),
        SequenceNumber: '1',
      }),
    });

    // Act
    await queue().send({ groupId: 'chat-42', deduplicationId: 'update-7', body: '{"text":"héllo"}' });

    // Assess
    const [call] = server.callsTo('AmazonSQS.SendMessage');
    expect(call?.contentType).toBe('application/x-amz-json-1.0');
    expect(call?.body).toEqual({
      QueueUrl: queueUrl(),
      MessageBody: '{"text":"héllo"}',
      MessageGroupId: 'chat-42',
      MessageDeduplicationId: 'update-7',
    });
  });

  it('rejects an oversize body before it reaches the wire', async () => {
    // Prepare
    const body = 'é'.repeat(131_073); // 262,146 UTF-8 bytes, 2 over the limit

    // Act
    const sending = queue().send({ groupId: 'g', deduplicationId: 'd', body });

    // Assess
    await expect(sending).rejects.toMatchObject({
      name: 'QueueMessageTooLargeError',
      size: 262_146,
      limit: 262_144,
    });
    expect(server.calls).toHaveLength(0);
  });

  it("maps SQS's own size rejection to QueueMessageTooLargeError with the queue's limit", async () => {
    // Prepare
    server.handle({
      'AmazonSQS.SendMessage': () => {
        throw new AwsJsonError(
          'com.amazon.coral.service#InvalidParameterValueException',
          'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.',
          400,
          'InvalidParameterValue',
        );
      },
    });

    // Act
    const sending = queue().send({ groupId: 'g', deduplicationId: 'd', body: 'x'.repeat(2000) });

    // Assess
    await expect(sending).rejects.toBeInstanceOf(QueueMessageTooLargeError);
    await expect(sending).rejects.toMatchObject({ size: 2000, limit: 1024 });
  });

  it('passes other SQS errors through unchanged', async () => {
    // Prepare
    server.handle({
      'AmazonSQS.SendMessage': () => {
        throw new AwsJsonError(
          'com.amazonaws.sqs#QueueDoesNotExist',
          'The specified queue does not exist.',
          400,
          'AWS.SimpleQueueService.NonExistentQueue',
        );
      },
    });

    // Act
    const sending = queue().send({ groupId: 'g', deduplicationId: 'd', body: 'x' });

    // Assess
    await expect(sending).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('receives with the system attributes the port needs and maps each message', async () => {
    // Prepare
    server.handle({
      'AmazonSQS.ReceiveMessage': () => ({
        Messages: [
          {
            MessageId: 'm-1',
            ReceiptHandle: 'rh-1',
            Body: 'first',
            MD5OfBody: md5('first'),
            Attributes: {
              ApproximateReceiveCount: '3',
              SentTimestamp: '1700000000123',
              MessageGroupId: 'chat-42',
            },
          },
        ],
      }),
    });

    // Act
    const messages = await queue().receive({ maxMessages: 10, waitTimeMs: 20_000 });

    // Assess
    const [call] = server.callsTo('AmazonSQS.ReceiveMessage');
    expect(call?.body).toMatchObject({ QueueUrl: queueUrl(), MaxNumberOfMessages: 10, WaitTimeSeconds: 20 });
    expect(call?.body.MessageSystemAttributeNames).toEqual(
      expect.arrayContaining(['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId']),
    );
    expect(messages).toEqual([
      {
        messageId: 'm-1',
        receiptHandle: 'rh-1',
        groupId: 'chat-42',
        body: 'first',
        receiveCount: 3,
        sentAt: 1_700_000_000_123,
      },
    ]);
  });

  it.each([
    { waitTimeMs: 0, expected: 0 },
    { waitTimeMs: 500, expected: 1 },
    { waitTimeMs: 5_000, expected: 5 },
    { waitTimeMs: 60_000, expected: 20 },
  ])(
    'asks for WaitTimeSeconds $expected when waitTimeMs is $waitTimeMs',
    async ({ waitTimeMs, expected }) => {
      // Prepare
      server.handle({ 'AmazonSQS.ReceiveMessage': () => ({}) });

      // Act
      const messages = await queue().receive({ maxMessages: 1, waitTimeMs });

      // Assess
      expect(messages).toEqual([]);
      expect(server.callsTo('AmazonSQS.ReceiveMessage')[0]?.body.WaitTimeSeconds).toBe(expected);
    },
  );

  it.each([0, 11, 2.5])('rejects maxMessages %s without a round trip', async (maxMessages) => {
    // Act
    const receiving = queue().receive({ maxMessages });

    // Assess
    await expect(receiving).rejects.toBeInstanceOf(RangeError);
    expect(server.calls).toHaveLength(0);
  });

  it("leaves WaitTimeSeconds to the queue's setting when no wait is given", async () => {
    // Prepare
    server.handle({ 'AmazonSQS.ReceiveMessage': () => ({ Messages: [] }) });

    // Act
    await queue().receive({ maxMessages: 1 });

    // Assess
    expect(server.callsTo('AmazonSQS.ReceiveMessage')[0]?.body).not.toHaveProperty('WaitTimeSeconds');
  });

  it('deletes by receipt handle', async () => {
    // Prepare
    server.handle({ 'AmazonSQS.DeleteMessage': () => ({}) });

    // Act
    await queue().delete('rh-1');

    // Assess
    expect(server.callsTo('AmazonSQS.DeleteMessage')[0]?.body).toEqual({
      QueueUrl: queueUrl(),
      ReceiptHandle: 'rh-1',
    });
  });
});

describe('SecretsManagerStore over AWS JSON 1.1', () => {
  // A just-big-enough Secrets Manager: values by name, plus names pending deletion.
  const secrets = new Map<string, string>();
  const pendingDeletion = new Set<string>();
  const notFound = () =>
    new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  const markedForDeletion = () =>
    new AwsJsonError(
      'InvalidRequestException',
      "You can't perform this operation on the secret because it was marked for deletion.",
    );

  const store = (options: { kmsKeyId?: string; tags?: Record<string, string> } = {}) =>
    new SecretsManagerStore({ client: new SecretsManagerClient(clientConfig(server.endpoint)), ...options });

  beforeEach(() => {
    secrets.clear();
    pendingDeletion.clear();
    server.handle({
      'secretsmanager.GetSecretValue': (body) => {
        const name = String(body.SecretId);
        if (pendingDeletion.has(name)) throw markedForDeletion();
        const value = secrets.get(name);
        if (value === undefined) throw notFound();
        return { ARN: `arn:aws:secretsmanager:eu-west-1:0:secret:${name}`, Name: name, SecretString: value };
      },
      'secretsmanager.PutSecretValue': (body) => {
        const name = String(body.SecretId);
        if (pendingDeletion.has(name)) throw markedForDeletion();
        if (!secrets.has(name)) throw notFound();
        secrets.set(name, String(body.SecretString));
        return { Name: name, VersionId: 'v2' };
      },
      'secretsmanager.CreateSecret': (body) => {
        secrets.set(String(body.Name), String(body.SecretString));
        return { Name: body.Name, VersionId: 'v1' };
      },
      'secretsmanager.RestoreSecret': (body) => {
        pendingDeletion.delete(String(body.SecretId));
        return { Name: body.SecretId };
      },
      'secretsmanager.DeleteSecret': (body) => {
        const name = String(body.SecretId);
        if (pendingDeletion.has(name)) throw markedForDeletion();
        if (!secrets.has(name)) throw notFound();
        pendingDeletion.add(name);
        return { Name: name, DeletionDate: 1_700_604_800 };
      },
    });
  });

  it('reads the SecretString of the named secret', async () => {
    // Prepare
    secrets.set('orchestrator/telegram/bot-token', '123:abc');

    // Act
    const value = await store().get('orchestrator/telegram/bot-token');

    // Assess
    expect(value).toBe('123:abc');
    const [call] = server.callsTo('secretsmanager.GetSecretValue');
    expect(call?.contentType).toBe('application/x-amz-json-1.1');
    expect(call?.body).toEqual({ SecretId: 'orchestrator/telegram/bot-token' });
  });

  it.each([
    { state: 'does not exist', prepare: () => undefined },
    { state: 'is pending deletion', prepare: () => pendingDeletion.add('projects/p1/API_KEY') },
  ])('maps a secret that $state to SecretNotFoundError', async ({ prepare }) => {
    // Prepare
    prepare();

    // Act
    const reading = store().get('projects/p1/API_KEY');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(reading).rejects.toMatchObject({ secretName: 'projects/p1/API_KEY' });
  });

  it('updates an existing secret with PutSecretValue only', async () => {
    // Prepare
    secrets.set('projects/p1/API_KEY', 'old');

    // Act
    await store().put('projects/p1/API_KEY', 'new');

    // Assess
    expect(secrets.get('projects/p1/API_KEY')).toBe('new');
    expect(server.calls.map((c) => c.target)).toEqual(['secretsmanager.PutSecretValue']);
    expect(server.calls[0]?.body).toMatchObject({ SecretId: 'projects/p1/API_KEY', SecretString: 'new' });
  });

  it('creates a missing secret with the KMS key and tags it was configured with', async () => {
    // Prepare
    const configured = store({ kmsKeyId: 'alias/orchestrator', tags: { app: 'orchestrator', owner: 'bot' } });

    // Act
    await configured.put('projects/p1/API_KEY', 's3cr3t');

    // Assess
    expect(server.calls.map((c) => c.target)).toEqual([
      'secretsmanager.PutSecretValue',
      'secretsmanager.CreateSecret',
    ]);
    expect(server.callsTo('secretsmanager.CreateSecret')[0]?.body).toMatchObject({
      Name: 'projects/p1/API_KEY',
      SecretString: 's3cr3t',
      KmsKeyId: 'alias/orchestrator',
      Tags: [
        { Key: 'app', Value: 'orchestrator' },
        { Key: 'owner', Value: 'bot' },
      ],
    });
    expect(secrets.get('projects/p1/API_KEY')).toBe('s3cr3t');
  });

  it('creates without KmsKeyId or Tags when none were configured', async () => {
    // Act
    await store().put('projects/p1/API_KEY', 's3cr3t');

    // Assess
    const created = server.callsTo('secretsmanager.CreateSecret')[0]?.body;
    expect(created).not.toHaveProperty('KmsKeyId');
    expect(created).not.toHaveProperty('Tags');
  });

  it('restores a secret pending deletion before writing its new value', async () => {
    // Prepare
    secrets.set('projects/p1/API_KEY', 'old');
    pendingDeletion.add('projects/p1/API_KEY');

    // Act
    await store().put('projects/p1/API_KEY', 'new');

    // Assess
    expect(server.calls.map((c) => c.target)).toEqual([
      'secretsmanager.PutSecretValue',
      'secretsmanager.RestoreSecret',
      'secretsmanager.PutSecretValue',
    ]);
    expect(await store().get('projects/p1/API_KEY')).toBe('new');
  });

  it('deletes with the 7-day recovery window, never forced', async () => {
    // Prepare
    secrets.set('projects/p1/API_KEY', 'v');

    // Act
    await store().delete('projects/p1/API_KEY');

    // Assess
    const body = server.callsTo('secretsmanager.DeleteSecret')[0]?.body;
    expect(body).toEqual({ SecretId: 'projects/p1/API_KEY', RecoveryWindowInDays: 7 });
    await expect(store().get('projects/p1/API_KEY')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it.each([
    { state: 'does not exist', prepare: () => undefined },
    { state: 'is already pending deletion', prepare: () => pendingDeletion.add('projects/p1/API_KEY') },
  ])('treats deleting a secret that $state as done', async ({ prepare }) => {
    // Prepare
    prepare();

    // Act
    const deleting = store().delete('projects/p1/API_KEY');

    // Assess
    await expect(deleting).resolves.toBeUndefined();
  });

  it('passes other service errors through', async () => {
    // Prepare
    server.handle({
      'secretsmanager.GetSecretValue': () => {
        throw new AwsJsonError('AccessDeniedException', 'User is not authorized', 400);
      },
    });

    // Act
    const reading = store().get('projects/p1/API_KEY');

    // Assess
    await expect(reading).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('EcsWorkerTasks over AWS JSON 1.1', () => {
  const CLUSTER = 'arn:aws:ecs:eu-west-1:000000000000:cluster/workers';

  it("stops every running task of the run's group, across pages, with the reason", async () => {
    // Prepare
    server.handle({
      'AmazonEC2ContainerServiceV20141113.ListTasks': (body) =>
        body.nextToken
          ? { taskArns: [`${CLUSTER}/task-3`] }
          : { taskArns: [`${CLUSTER}/task-1`, `${CLUSTER}/task-2`], nextToken: 'page-2' },
      'AmazonEC2ContainerServiceV20141113.StopTask': (body) => ({ task: { taskArn: body.task } }),
    });
    const tasks = new EcsWorkerTasks(CLUSTER, new ECSClient(clientConfig(server.endpoint)));

    // Act
    const stopped = await tasks.stopGroup('run-0123456789abcdef01234567', 'the run failed');

    // Assess
    expect(stopped).toBe(3);
    expect(server.callsTo('AmazonEC2ContainerServiceV20141113.ListTasks').map((c) => c.body)).toEqual([
      { cluster: CLUSTER, startedBy: 'run-0123456789abcdef01234567', desiredStatus: 'RUNNING' },
      {
        cluster: CLUSTER,
        startedBy: 'run-0123456789abcdef01234567',
        desiredStatus: 'RUNNING',
        nextToken: 'page-2',
      },
    ]);
    expect(server.callsTo('AmazonEC2ContainerServiceV20141113.StopTask').map((c) => c.body)).toEqual(
      [1, 2, 3].map((n) => ({ cluster: CLUSTER, task: `${CLUSTER}/task-${n}`, reason: 'the run failed' })),
    );
  });
});
