import { ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { WorkerTasks } from '../../ports/worker-tasks.ts';

/** Worker tasks on ECS: a run's tasks are those started by its task group (`startedBy`). */
export class EcsWorkerTasks implements WorkerTasks {
  private readonly client: ECSClient;

  constructor(
    private readonly clusterArn: string,
    client?: ECSClient,
  ) {
    this.client = client ?? new ECSClient({});
  }

  async stopGroup(taskGroup: string, reason: string): Promise<number> {
    let stopped = 0;
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListTasksCommand({
          cluster: this.clusterArn,
          startedBy: taskGroup,
          desiredStatus: 'RUNNING',
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const task of page.taskArns ?? []) {
        await this.client.send(
          new StopTaskCommand({ cluster: this.clusterArn, task, reason: reason.slice(0, 255) }),
        );
        stopped += 1;
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return stopped;
  }
}
