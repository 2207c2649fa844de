/**
 * A deploy run's execution name: `dep-<project id>-<n>`, readable in the console and the
 * idempotency key of its start (a replayed "deploy it" finds the same number and the same run).
 */
export function devopsRunName(projectId: string, runNumber: number): string {
  return `dep-${projectId.slice(0, 64)}-${runNumber}`;
}
