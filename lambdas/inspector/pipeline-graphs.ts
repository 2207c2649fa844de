import type { PipelineName } from '../ports/pipelines.ts';
import { PIPELINE_DEFINITIONS } from './pipeline-definitions.ts';
import { cachedStateGraph, type StateGraph } from './state-graph.ts';

/** Each pipeline's state machine graph, laid out by dagre. */
export type PipelineGraphs = Record<PipelineName, StateGraph>;

/**
 * The pipelines' graphs from their ASL files. A pipeline's definition is fixed, so the deployed
 * admin API does not lay them out at run time: its bundling writes these to `graphs.json` beside
 * the page (scripts/build-inspector-assets.ts), and its bundle carries neither dagre nor the ASL.
 */
export function pipelineGraphs(): PipelineGraphs {
  return Object.fromEntries(
    Object.entries(PIPELINE_DEFINITIONS).map(([name, definition]) => [name, cachedStateGraph(definition)]),
  ) as PipelineGraphs;
}
