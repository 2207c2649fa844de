import type { HealthState, OperationsFacts, RepositoryState } from './operations-records.ts';

export type { OperationsFacts } from './operations-records.ts';

/** What the jobs saw of a project, in short clauses (the model and the offline replies read them). */
export function describeOperations(facts: OperationsFacts | undefined): string[] {
  return [
    ...(facts?.repository ? [describeRepository(facts.repository)] : []),
    ...(facts?.health ? [describeHealth(facts.health)] : []),
  ];
}

function describeRepository(r: RepositoryState): string {
  const head = r.head
    ? `${r.defaultBranch ?? 'default branch'} at ${r.head.commit.slice(0, 7)} "${r.head.message}"`
    : 'no commit yet';
  const pulls =
    r.pullRequests.length === 0
      ? 'no open pull requests'
      : `open pull requests: ${r.pullRequests.map((p) => `#${p.number} ${p.title} (checks: ${p.checks})`).join(', ')}`;
  return `repository ${r.fullName}: ${head}, ${pulls} (synced ${r.syncedAt})`;
}

function describeHealth(h: HealthState): string {
  const failures = h.consecutiveFailures > 0 ? `, ${h.consecutiveFailures} failed check(s) in a row` : '';
  const reason = h.state === 'unhealthy' && h.lastError ? ` (${h.lastError})` : '';
  return `health of ${h.url}: ${h.state}${reason}${failures}, checked ${h.checkedAt}`;
}
