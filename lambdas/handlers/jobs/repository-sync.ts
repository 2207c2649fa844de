import { jobHandler } from './job-handler.ts';

export const handler = jobHandler('repository-sync');
