import { devopsStepHandler } from './devops-step-handler.ts';

export const handler = devopsStepHandler('record-release');
