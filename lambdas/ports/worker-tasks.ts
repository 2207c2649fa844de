/**
 * Worker tasks: the Fargate tasks (locally, child processes) a run started. Step Functions does
 * not stop a callback task when its state times out or the run fails, so a run's Catch stops
 * every task it started (ECS `startedBy` = the run's task group).
 */
export interface WorkerTasks {
  /** Stops every running task of the group; returns how many were stopped. */
  stopGroup(taskGroup: string, reason: string): Promise<number>;
}
