import { describe, expect, it } from 'vitest';
import { PIPELINE_DEFINITIONS } from '../../../lambdas/inspector/pipeline-definitions.ts';
import { type AslStates, type GraphNode, stateGraph } from '../../../lambdas/inspector/state-graph.ts';

const edgesOf = (definition: AslStates) =>
  stateGraph(definition).edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`);

const overlap = (a: GraphNode, b: GraphNode) =>
  Math.abs(a.x - b.x) * 2 < a.width + b.width && Math.abs(a.y - b.y) * 2 < a.height + b.height;

describe('stateGraph', () => {
  it('draws an edge for every Next, Choices[].Next, Default and Catch[].Next, with start and end', () => {
    // Prepare
    const definition: AslStates = {
      StartAt: 'Work',
      States: {
        Work: { Type: 'Task', Next: 'Check', Catch: [{ Next: 'Oops' }] },
        Check: { Type: 'Choice', Choices: [{ Next: 'Work' }, { Next: 'Done' }], Default: 'Oops' },
        Done: { Type: 'Succeed' },
        Oops: { Type: 'Fail' },
      },
    };

    // Act
    const edges = edgesOf(definition);

    // Assess
    expect(edges).toEqual([
      'Work -next-> Check',
      'Work -catch-> Oops',
      'Check -choice-> Work',
      'Check -choice-> Done',
      'Check -default-> Oops',
      'Done -next-> ::end',
      'Oops -next-> ::end',
      '::start -next-> Work',
    ]);
  });

  it('opens and closes a Parallel or Map state around its branches with ::in and ::out nodes', () => {
    // Prepare
    const definition: AslStates = {
      StartAt: 'Fan out',
      States: {
        'Fan out': {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Pass', End: true } } },
          ],
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Task', End: true } } },
          End: true,
        },
      },
    };

    // Act
    const graph = stateGraph(definition);

    // Assess
    expect(edgesOf(definition)).toEqual(
      expect.arrayContaining([
        'Fan out::in -branch-> A',
        'Fan out::in -branch-> B',
        'A -next-> Fan out::out',
        'B -next-> Fan out::out',
        'Fan out::out -next-> Each::in',
        'Each::in -branch-> Item',
        'Item -next-> Each::out',
        'Each::out -next-> ::end',
        '::start -next-> Fan out::in',
      ]),
    );
    expect(graph.nodes.filter((n) => n.state === 'Fan out').map((n) => n.kind)).toEqual(['in', 'out']);
  });

  it.each(['engineering', 'devops'] as const)(
    'lays out the %s pipeline: every state once, no overlaps, routed edges',
    (name) => {
      // Prepare
      const definition = PIPELINE_DEFINITIONS[name];

      // Act
      const graph = stateGraph(definition);

      // Assess
      const states = graph.nodes.filter((n) => n.kind === 'state').map((n) => n.state);
      expect(states.sort()).toEqual(Object.keys(definition.States).sort());
      for (const [i, a] of graph.nodes.entries()) {
        for (const b of graph.nodes.slice(i + 1)) expect(overlap(a, b), `${a.id} / ${b.id}`).toBe(false);
        expect(a.x - a.width / 2).toBeGreaterThanOrEqual(0);
        expect(a.x + a.width / 2).toBeLessThanOrEqual(graph.width);
      }
      for (const edge of graph.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
      // Long names wrap, so nodes stay narrow
      expect(Math.max(...graph.nodes.map((n) => n.width))).toBeLessThan(240);
    },
  );
});
