import devops from '../../state-machines/devops.asl.json' with { type: 'json' };
import engineering from '../../state-machines/engineering.asl.json' with { type: 'json' };
import type { PipelineName } from '../ports/pipelines.ts';
import type { AslStates } from './state-graph.ts';

/**
 * The ASL files the pipelines run, as the inspector draws them. Imported (not read from disk) so a
 * bundled Lambda carries them; their `${...}` substitutions sit inside strings and do not matter
 * to the graph.
 */
export const PIPELINE_DEFINITIONS: Record<PipelineName, AslStates> = {
  engineering: engineering as AslStates,
  devops: devops as AslStates,
};
