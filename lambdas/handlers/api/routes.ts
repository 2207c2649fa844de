import type { Route } from '../../app/api/route.ts';
import type { ApiCaller, ApiServices } from './api-services.ts';
import { INSPECTOR_ROUTES } from './inspector.ts';
import { KEY_ROUTES } from './keys.ts';
import { PROJECT_ROUTES } from './projects.ts';
import { RESOURCE_ROUTES } from './resources.ts';
import { RUN_ROUTES } from './runs.ts';
import { USAGE_ROUTES } from './usage.ts';
import { USER_ROUTES } from './users.ts';

/** Every route of the admin API, one module per resource. */
export const API_ROUTES: readonly Route<ApiServices, ApiCaller>[] = [
  ...USER_ROUTES,
  ...PROJECT_ROUTES,
  ...RUN_ROUTES,
  ...RESOURCE_ROUTES,
  ...USAGE_ROUTES,
  ...KEY_ROUTES,
  ...INSPECTOR_ROUTES,
];
