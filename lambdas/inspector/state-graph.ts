import { graphlib, layout } from '@dagrejs/dagre';

/** The parts of an ASL (JSONPath) state the graph reads. */
export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Array<{ Next?: string }>;
  Catch?: Array<{ Next?: string }>;
  Branches?: AslStates[];
  ItemProcessor?: AslStates;
  Iterator?: AslStates;
}

export interface AslStates {
  StartAt: string;
  States: Record<string, AslState>;
}

/**
 * `state`: a state drawn as one node; `start` / `end`: the console's start and end circles;
 * `in` / `out`: where a Parallel or Map state opens and closes around its branches.
 */
export type NodeKind = 'state' | 'start' | 'end' | 'in' | 'out';
export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'branch';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** The state's name (history events name it), on every node but start and end. */
  state?: string;
  /** The ASL type: Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map. */
  type?: string;
  /** The state's name wrapped to fit the node, one string a line. */
  lines?: string[];
  /** Centre and size, from the layout. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  points: Array<{ x: number; y: number }>;
}

export interface StateGraph {
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const START = '::start';
const END = '::end';
// Node sizes from the label length: the page draws 13px sans-serif, about 7.2px a character.
const CHAR_WIDTH = 7.2;
const LINE_CHARS = 20;

/**
 * An ASL definition as a laid-out graph: nodes for states, edges from Next, Choices[].Next,
 * Default and Catch[].Next, and the console's start and end. Laid out here with dagre rather than
 * in the browser: a pipeline's definition is fixed, so its layout is computed once per process and
 * cached; the page stays a small module without dependencies that only draws, and the layout is
 * tested without a browser. A Parallel or Map state becomes a `::in` and a `::out` node with its
 * branches' states between them (dagre cannot route edges to cluster nodes).
 */
export function stateGraph(definition: AslStates): StateGraph {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 20, ranksep: 36, edgesep: 8, marginx: 32, marginy: 16 });
  const nodes = new Map<string, Omit<GraphNode, 'x' | 'y'>>();
  const edges: Array<Omit<GraphEdge, 'points'>> = [];
  const addNode = (node: Omit<GraphNode, 'x' | 'y'>) => {
    nodes.set(node.id, node);
    g.setNode(node.id, { width: node.width, height: node.height });
  };
  const addEdge = (from: string, to: string, kind: EdgeKind) => {
    edges.push({ from, to, kind });
    // The happy path weighs more, so dagre keeps it straight and bends the Catch edges instead.
    g.setEdge(from, to, { minlen: 1, weight: kind === 'catch' ? 1 : 4 }, String(edges.length));
  };
  addNode({ id: START, kind: 'start', width: 64, height: 28 });
  addNode({ id: END, kind: 'end', width: 64, height: 28 });
  // Where edges into a state arrive and edges out of it leave: its `::in` and `::out` when it has branches.
  const entry = (name: string) => (nodes.has(`${name}::in`) ? `${name}::in` : name);
  const exit = (name: string) => (nodes.has(`${name}::out`) ? `${name}::out` : name);

  const addStates = (states: AslStates, terminal: string) => {
    for (const [name, state] of Object.entries(states.States)) {
      const branches = branchesOf(state);
      if (branches.length === 0) {
        addNode({ id: name, kind: 'state', state: name, type: state.Type, ...box(name, state.Type) });
        continue;
      }
      addNode({ id: `${name}::in`, kind: 'in', state: name, type: state.Type, ...box(name, state.Type) });
      addNode({ id: `${name}::out`, kind: 'out', state: name, type: state.Type, width: 60, height: 12 });
      for (const branch of branches) addStates(branch, `${name}::out`);
    }
    for (const [name, state] of Object.entries(states.States)) {
      const branches = branchesOf(state);
      for (const branch of branches) addEdge(`${name}::in`, entry(branch.StartAt), 'branch');
      const from = exit(name);
      if (state.Next) addEdge(from, entry(state.Next), 'next');
      for (const choice of state.Choices ?? []) if (choice.Next) addEdge(from, entry(choice.Next), 'choice');
      if (state.Default) addEdge(from, entry(state.Default), 'default');
      for (const caught of state.Catch ?? []) if (caught.Next) addEdge(from, entry(caught.Next), 'catch');
      if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') addEdge(from, terminal, 'next');
    }
  };
  addStates(definition, END);
  addEdge(START, entry(definition.StartAt), 'next');

  layout(g);
  const label = g.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(label.width ?? 0),
    height: Math.ceil(label.height ?? 0),
    nodes: [...nodes.values()].map((node) => {
      const { x = 0, y = 0 } = g.node(node.id) as { x?: number; y?: number };
      return { ...node, x: round(x), y: round(y) };
    }),
    edges: edges.map((edge, index) => {
      const { points = [] } = g.edge({ v: edge.from, w: edge.to, name: String(index + 1) }) as {
        points?: Array<{ x: number; y: number }>;
      };
      return { ...edge, points: points.map((p) => ({ x: round(p.x), y: round(p.y) })) };
    }),
  };
}

function branchesOf(state: AslState): AslStates[] {
  if (state.Type === 'Parallel') return state.Branches ?? [];
  if (state.Type === 'Map') {
    const processor = state.ItemProcessor ?? state.Iterator;
    return processor ? [processor] : [];
  }
  return [];
}

/** A label wrapped at word boundaries to at most LINE_CHARS a line, and the node's size around it. */
function box(name: string, type: string): { lines: string[]; width: number; height: number } {
  const lines: string[] = [];
  for (const word of name.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= LINE_CHARS)
      lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  const text = Math.ceil(Math.max(...lines.map((line) => line.length)) * CHAR_WIDTH);
  if (type === 'Choice') return { lines, width: text + 64, height: 30 + lines.length * 16 };
  return { lines, width: Math.max(text + 28, 96), height: 24 + lines.length * 16 };
}

const round = (value: number) => Math.round(value * 10) / 10;

const cache = new WeakMap<object, StateGraph>();

/** The graph of a definition, laid out once per definition object. */
export function cachedStateGraph(definition: AslStates): StateGraph {
  let graph = cache.get(definition);
  if (!graph) {
    graph = stateGraph(definition);
    cache.set(definition, graph);
  }
  return graph;
}
