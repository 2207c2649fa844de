import { engineeringStepHandler } from './step-handler.ts';

export const handler = engineeringStepHandler('index-knowledge');
