import type * as z from 'zod';
import { ProblemError, problem } from '../../app/api/problem.ts';
import { defineRoute, type Route, type RouteDefinition } from '../../app/api/route.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Project } from '../../domain/projects/project.ts';
import type { ApiCaller, ApiServices } from './api-services.ts';

/** defineRoute for the admin API's services and caller. */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(definition: RouteDefinition<ApiServices, ApiCaller, P, Q, B>): Route<ApiServices, ApiCaller> {
  return defineRoute(definition);
}

export function requireAdmin(caller: ApiCaller): void {
  if (caller.principal.role !== 'admin') {
    throw new ProblemError(problem(403, 'Only an administrator’s key can do that.'));
  }
}

/** A service the installation may lack (pipelines, deployment resources): 503 when absent. */
export function need<T>(service: T | undefined, what: string): T {
  if (service === undefined)
    throw new ProblemError(problem(503, `${what} is not configured in this installation.`));
  return service;
}

/**
 * The project by id or name among those the caller may see (ProjectService's tenancy). One that
 * exists but is someone else's is refused with 403; a name is only resolved among the caller's.
 */
export async function visibleProject(
  services: ApiServices,
  caller: ApiCaller,
  ref: string,
): Promise<Project> {
  try {
    return await services.projects.get(caller.principal, ref);
  } catch (error) {
    if (
      error instanceof DomainError &&
      error.code === 'not_found' &&
      (await services.projectRecords.get(ref.trim()))
    ) {
      throw new ProblemError(problem(403, `Project ${ref} belongs to someone else.`));
    }
    throw error;
  }
}
