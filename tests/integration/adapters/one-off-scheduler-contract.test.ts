import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterEach, describe, expect, it } from 'vitest';
import { atExpression, EventBridgeScheduler } from '../../../lambdas/adapters/aws/eventbridge-scheduler.ts';
import { LocalScheduler } from '../../../lambdas/adapters/local/local-scheduler.ts';
import type { OneOffScheduler } from '../../../lambdas/ports/one-off-scheduler.ts';
import type { OutgoingMessage } from '../../../lambdas/ports/queue.ts';

/**
 * One contract over both schedulers: schedule, schedule again (a no-op), cancel (true once, then
 * false). The local one also fires into the queue, survives a restart and fires what it missed;
 * the AWS one is checked on the wire against a stand-in of the Scheduler API.
 */
interface World {
  scheduler: OneOffScheduler;
  cleanup(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function localWorld(): Promise<World & { sent: OutgoingMessage[]; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'scheduler-'));
  const sent: OutgoingMessage[] = [];
  const file = join(dir, 'schedules.json');
  const scheduler = new LocalScheduler(file, { send: async (m) => void sent.push(m) });
  scheduler.start();
  const cleanup = async () => {
    scheduler.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { scheduler, sent, file, cleanup };
}

/** The Scheduler API's REST-JSON shape: POST and DELETE /schedules/{Name}; 409 and 404 as AWS says. */
async function awsWorld(): Promise<
  World & { requests: Array<{ method: string; path: string; body: unknown }> }
> {
  const requests: Array<{ method: string; path: string; body: unknown }> = [];
  const schedules = new Set<string>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const name = decodeURIComponent(url.pathname.replace(/^\/schedules\//, ''));
      requests.push({
        method: req.method ?? '',
        path: url.pathname + url.search,
        body: raw ? JSON.parse(raw) : undefined,
      });
      const answer = (status: number, type?: string) => {
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(type ? { 'x-amzn-errortype': type } : {}),
        });
        res.end(type ? JSON.stringify({ Message: type }) : JSON.stringify({ ScheduleArn: `arn:x:${name}` }));
      };
      if (req.method === 'POST') {
        if (schedules.has(name)) return answer(409, 'ConflictException');
        schedules.add(name);
        return answer(200);
      }
      if (req.method === 'DELETE') {
        if (!schedules.delete(name)) return answer(404, 'ResourceNotFoundException');
        return answer(200);
      }
      return answer(400, 'ValidationException');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = new SchedulerClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const scheduler = new EventBridgeScheduler({
    groupName: 'orchestrator-reminders',
    queueArn: 'arn:aws:sqs:eu-west-1:123456789012:updates.fifo',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler-sends',
    client,
  });
  const cleanup = async () => {
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { scheduler, requests, cleanup };
}

describe.each([
  { name: 'local', make: localWorld },
  { name: 'EventBridge Scheduler (wire stand-in)', make: awsWorld },
])('OneOffScheduler contract: $name', ({ make }) => {
  it('schedules once per id, and cancels a pending schedule once', async () => {
    const world = await make();
    cleanups.push(world.cleanup);
    const schedule = {
      id: 'rem-0123456789abcdef',
      at: new Date(Date.now() + 3_600_000),
      groupId: '42',
      body: '{"reminder":{}}',
    };

    await world.scheduler.schedule(schedule);
    await world.scheduler.schedule(schedule);

    expect(await world.scheduler.cancel(schedule.id)).toBe(true);
    expect(await world.scheduler.cancel(schedule.id)).toBe(false);
    expect(await world.scheduler.cancel('rem-unknown')).toBe(false);
  });
});

describe('EventBridgeScheduler on the wire', () => {
  it('creates an at() schedule in UTC in its group, deleted after it ran, targeting the FIFO queue in the chat group', async () => {
    const world = await awsWorld();
    cleanups.push(world.cleanup);
    const at = new Date('2030-01-02T03:04:05.678Z');

    await world.scheduler.schedule({
      id: 'rem-0123456789abcdef',
      at,
      groupId: '42',
      body: '{"reminder":{"id":"x"}}',
    });
    await world.scheduler.cancel('rem-0123456789abcdef');

    expect(atExpression(at)).toBe('at(2030-01-02T03:04:05)');
    expect(world.requests[0]).toEqual({
      method: 'POST',
      path: '/schedules/rem-0123456789abcdef',
      body: {
        GroupName: 'orchestrator-reminders',
        ScheduleExpression: 'at(2030-01-02T03:04:05)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: 'arn:aws:sqs:eu-west-1:123456789012:updates.fifo',
          RoleArn: 'arn:aws:iam::123456789012:role/scheduler-sends',
          Input: '{"reminder":{"id":"x"}}',
          SqsParameters: { MessageGroupId: '42' },
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 10 },
        },
        ClientToken: expect.any(String),
      },
    });
    expect(world.requests[1]).toMatchObject({
      method: 'DELETE',
      path: expect.stringMatching(/^\/schedules\/rem-0123456789abcdef\?.*groupName=orchestrator-reminders/),
    });
  });
});

describe('LocalScheduler', () => {
  it('puts the body into the queue in its group at its time, once, and a restart fires what it missed', async () => {
    // Prepare
    const world = await localWorld();
    cleanups.push(world.cleanup);
    await world.scheduler.schedule({ id: 'soon', at: new Date(Date.now() + 300), groupId: '7', body: 'a' });
    await world.scheduler.schedule({
      id: 'later',
      at: new Date(Date.now() + 1_000),
      groupId: '8',
      body: 'b',
    });
    await world.scheduler.schedule({
      id: 'cancelled',
      at: new Date(Date.now() + 400),
      groupId: '9',
      body: 'c',
    });
    await world.scheduler.cancel('cancelled');

    // Act: the first fires; the process "stops" before the second is due, and starts after it
    await new Promise((r) => setTimeout(r, 600));
    (world.scheduler as LocalScheduler).close();
    await new Promise((r) => setTimeout(r, 700));
    const restarted = new LocalScheduler(world.file, { send: async (m) => void world.sent.push(m) });
    restarted.start();
    await new Promise((r) => setTimeout(r, 200));
    restarted.close();

    // Assess
    expect(world.sent).toEqual([
      { groupId: '7', deduplicationId: 'schedule-soon', body: 'a' },
      { groupId: '8', deduplicationId: 'schedule-later', body: 'b' },
    ]);
    expect(restarted.pending()).toEqual([]);
  });
});
