/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The run inspector page: the runs of a pipeline, or one run as the Step Functions console shows
 * it (graph, states coloured by how they went, event history). It draws what the JSON endpoints
 * answer; the layout comes from the server. Every piece of data goes in as textContent or an
 * attribute value, never as HTML; there are no inline handlers (the CSP forbids them anyway).
 *
 * The same page runs on the local stack (no key: its data answer on loopback) and on the deployed
 * admin API, whose data routes want an API key: when an answer is 401 or 403 the page asks for
 * the key, keeps it in this tab's sessionStorage only and sends it as `Authorization: Bearer`,
 * the header the CLI sends.
 */
import type { RunHistoryEvent, RunStatus } from '../../ports/pipelines.ts';
import type { InspectedRun, InspectorRunItem, InspectorRunList } from '../run-view.ts';
import type { GraphEdge, GraphNode, StateGraph } from '../state-graph.ts';
import type { StateProgress } from '../state-progress.ts';

type RunList = InspectorRunList;
type RunView = InspectedRun;
type RunItem = InspectorRunItem;

const SVG = 'http://www.w3.org/2000/svg';
const RUN_POLL_MS = 1000;
const LIST_POLL_MS = 2000;
const SHOWN_CHARS = 160;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function svg(tag: string, attributes: Record<string, string | number> = {}): SVGElement {
  const node = document.createElementNS(SVG, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

// The data endpoints sit below the page's own script: `<base>/api/`.
const DATA_BASE = new URL('api/', import.meta.url);
const KEY_ITEM = 'orchestrator.inspector.apiKey';

/**
 * The data answered 401 or 403: the key is missing, unknown, revoked, or not allowed this.
 * `keyBad`: the key itself is no good (401, or API Gateway's own 403 for a malformed key), as
 * opposed to a good key asking for something its owner may not see.
 */
class KeyRefused extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly sentKey: boolean,
    readonly keyBad: boolean,
  ) {
    super(`HTTP ${status}`);
  }
}

const storedKey = () => sessionStorage.getItem(KEY_ITEM) ?? undefined;

async function getJson<T>(path: string): Promise<T> {
  const key = storedKey();
  const response = await fetch(new URL(path, DATA_BASE), {
    headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 401 || response.status === 403) {
    // Our problem documents say what to do in `detail`; API Gateway's own answers in `message`.
    const body = (await response.json().catch(() => ({}))) as { detail?: string; message?: string };
    const keyBad = response.status === 401 || body.detail === undefined;
    throw new KeyRefused(response.status, body.detail ?? body.message ?? '', key !== undefined, keyBad);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * Asks for the API key, with why: none yet, or the last answer's refusal. A key that is no good
 * is forgotten; a good one refused a run (someone else's) is kept, with the way back to the runs.
 */
function askForKey(refused?: KeyRefused): void {
  document.body.dataset.view = 'key';
  if (refused?.keyBad) sessionStorage.removeItem(KEY_ITEM);
  showForgetKey();
  const section = el('section', undefined, 'key-prompt');
  const message = !refused?.sentKey
    ? 'The runs are behind the admin API’s key: enter an API key (the one the orchestrator CLI uses).'
    : refused.status === 401
      ? `That API key was refused (401${refused.detail ? `: ${refused.detail}` : ''}). Enter another one.`
      : `Not allowed with this API key (403${refused.detail ? `: ${refused.detail}` : ''}). Enter another key${refused.keyBad ? '' : ', or go back to the runs'}.`;
  const form = el('form', undefined, 'key-form');
  const label = el('label', 'API key ');
  const input = el('input');
  input.type = 'password';
  input.name = 'key';
  input.id = 'api-key';
  input.autocomplete = 'off';
  input.required = true;
  label.htmlFor = 'api-key';
  const submit = el('button', 'Use this key');
  submit.type = 'submit';
  form.append(label, input, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_ITEM, key);
    route();
  });
  section.append(el('p', message, `key-message${refused?.sentKey ? ' problem' : ''}`), form);
  section.append(
    el('p', 'Kept in this browser tab only (sessionStorage), sent as Authorization: Bearer.', 'hint'),
  );
  if (refused && !refused.keyBad) {
    const back = el('a', 'Back to the runs', 'back');
    back.href = location.pathname;
    section.append(back);
  }
  document.getElementById('pipelines')?.replaceChildren();
  view().replaceChildren(section);
  input.focus();
}

function showForgetKey(): void {
  const button = document.getElementById('forget-key') as HTMLButtonElement | null;
  if (button) button.hidden = storedKey() === undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const view = () => document.getElementById('view') as HTMLElement;

function statusBadge(status: RunStatus): HTMLElement {
  const badge = el('span', status, `badge status--${status.toLowerCase()}`);
  badge.dataset.status = status;
  return badge;
}

function took(run: RunItem): string {
  const end = run.stoppedAt ? Date.parse(run.stoppedAt) : Date.now();
  return `${Math.round((end - Date.parse(run.startedAt)) / 1000)} s`;
}

function renderPipelines(pipelines: string[], current: string): void {
  const nav = document.getElementById('pipelines') as HTMLElement;
  nav.replaceChildren(
    ...pipelines.map((name) => {
      const link = el('a', name, name === current ? 'current' : undefined);
      link.href = `?pipeline=${encodeURIComponent(name)}`;
      return link;
    }),
  );
}

async function showList(pipeline: string | null, generation: number): Promise<void> {
  document.body.dataset.view = 'list';
  const url = `runs${pipeline ? `?pipeline=${encodeURIComponent(pipeline)}` : ''}`;
  while (generation === current) {
    try {
      const data = await getJson<RunList>(url);
      if (generation !== current) return;
      showForgetKey();
      renderPipelines(data.pipelines, data.pipeline);
      const withProjects = data.runs.some((run) => run.project !== undefined);
      const table = el('table', undefined, 'runs');
      const head = table.createTHead().insertRow();
      const titles = ['Name', ...(withProjects ? ['Project'] : []), 'Status', 'Started', 'Took'];
      for (const title of titles) head.append(el('th', title));
      const body = table.createTBody();
      for (const run of data.runs) {
        const row = body.insertRow();
        row.dataset.runId = run.id;
        const link = el('a', run.name);
        link.href = `?run=${encodeURIComponent(run.id)}`;
        row.insertCell().append(link);
        if (withProjects) row.insertCell().textContent = run.project ?? '';
        row.insertCell().append(statusBadge(run.status));
        row.insertCell().textContent = run.startedAt;
        row.insertCell().textContent = took(run);
      }
      view().replaceChildren(
        data.runs.length > 0 ? table : el('p', `No ${data.pipeline} runs yet.`, 'empty'),
      );
    } catch (error) {
      if (generation !== current) return;
      // Any key may list (its owner's runs): a refusal here is about the key.
      if (error instanceof KeyRefused)
        return askForKey(new KeyRefused(error.status, error.detail, error.sentKey, true));
      view().replaceChildren(el('p', `Could not load the runs (${String(error)}).`, 'problem'));
    }
    await sleep(LIST_POLL_MS);
  }
}

function edgePath(edge: GraphEdge): string {
  return edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
}

function drawNode(node: GraphNode): SVGElement {
  const { width: w, height: h } = node;
  const group = svg('g', {
    class: `node node--${node.kind}`,
    transform: `translate(${node.x - w / 2},${node.y - h / 2})`,
  });
  if (node.state !== undefined) group.setAttribute('data-state', node.state);
  if (node.type) group.setAttribute('data-type', node.type);
  group.setAttribute('data-kind', node.kind);
  const title = svg('title');
  title.textContent = node.state ? `${node.type}: ${node.state}` : node.kind === 'start' ? 'Start' : 'End';
  group.append(title);
  const label = (text: string, y: number, className: string) => {
    const t = svg('text', { x: w / 2, y, class: className, 'text-anchor': 'middle' });
    t.textContent = text;
    group.append(t);
  };
  if (node.kind === 'start' || node.kind === 'end') {
    group.append(svg('rect', { class: 'shape', width: w, height: h, rx: h / 2 }));
    label(node.kind === 'start' ? 'Start' : 'End', h / 2 + 4, 'label');
    return group;
  }
  if (node.kind === 'out') {
    group.append(svg('rect', { class: 'shape', width: w, height: h, rx: 4 }));
    return group;
  }
  const lines = node.lines ?? [node.state ?? ''];
  if (node.type === 'Choice') {
    const diamond = `0,${h / 2} ${w / 2},0 ${w},${h / 2} ${w / 2},${h}`;
    group.append(svg('polygon', { class: 'shape', points: diamond }));
    for (const [i, line] of lines.entries())
      label(line, h / 2 + 4 + (i - (lines.length - 1) / 2) * 16, 'label');
  } else {
    const round = node.type === 'Succeed' || node.type === 'Fail' ? 16 : 4;
    group.append(svg('rect', { class: 'shape', width: w, height: h, rx: round }));
    for (const [i, line] of lines.entries()) label(line, 17 + i * 16, 'label');
    label(node.type ?? '', 15 + lines.length * 16, 'type');
  }
  const count = svg('text', { x: w + 4, y: 2, class: 'count' });
  group.append(count);
  return group;
}

function drawGraph(graph: StateGraph): SVGElement {
  const root = svg('svg', {
    class: 'graph',
    width: graph.width,
    height: graph.height,
    viewBox: `0 0 ${graph.width} ${graph.height}`,
    role: 'img',
    'aria-label': 'State machine graph',
  });
  const marker = svg('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }));
  const defs = svg('defs');
  defs.append(marker);
  root.append(defs);
  for (const edge of graph.edges) {
    const path = svg('path', {
      d: edgePath(edge),
      class: `edge edge--${edge.kind}`,
      'marker-end': 'url(#arrow)',
    });
    path.setAttribute('data-from', edge.from);
    path.setAttribute('data-to', edge.to);
    root.append(path);
  }
  for (const node of graph.nodes) root.append(drawNode(node));
  return root;
}

function colourStates(graph: SVGElement, states: Record<string, StateProgress>): void {
  for (const group of graph.querySelectorAll<SVGElement>('g.node[data-state]')) {
    const progress = states[group.getAttribute('data-state') ?? ''];
    const status = progress?.status ?? 'not-reached';
    group.setAttribute('class', `node node--${group.getAttribute('data-kind')} state--${status}`);
    group.setAttribute('data-status', status);
    group.setAttribute('data-entered', String(progress?.entered ?? 0));
    const count = group.querySelector('text.count');
    if (count) count.textContent = (progress?.entered ?? 0) > 1 ? `×${progress?.entered}` : '';
  }
}

function shown(value: string): HTMLElement {
  const code = el('code', value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value);
  code.title = value;
  return code;
}

function historyRow(event: RunHistoryEvent, start: number): HTMLTableRowElement {
  const row = el('tr');
  row.dataset.eventId = String(event.id);
  row.dataset.type = event.type;
  row.className = /Failed|TimedOut|Aborted/.test(event.type) ? 'event--failed' : '';
  const seconds = ((Date.parse(event.timestamp) - start) / 1000).toFixed(1);
  row.append(el('td', String(event.id)), el('td', `${event.timestamp.slice(11, 23)} (+${seconds} s)`));
  row.append(el('td', event.type), el('td', event.stateName ?? ''));
  const details = el('td', undefined, 'details');
  for (const key of ['input', 'output', 'error', 'cause'] as const) {
    const value = event[key];
    if (value === undefined) continue;
    const line = el('div', undefined, `field field--${key}`);
    line.append(el('span', `${key} `, 'key'), shown(value));
    details.append(line);
  }
  row.append(details);
  return row;
}

function runHeader(run: RunView['run']): HTMLElement {
  const header = el('section', undefined, 'run');
  header.append(el('h2', run.name), statusBadge(run.status));
  const facts = el('dl');
  const fact = (term: string, value: string | HTMLElement | undefined) => {
    if (value === undefined) return;
    const dd = el('dd');
    dd.append(value);
    facts.append(el('dt', term), dd);
  };
  fact('Pipeline', run.pipeline);
  fact('Project', run.project);
  fact('Started', run.startedAt);
  fact(run.stoppedAt ? 'Took' : 'Running for', took(run));
  if (run.error) fact('Error', shown(run.error));
  if (run.cause) fact('Cause', shown(run.cause));
  if (run.input) fact('Input', shown(run.input));
  if (run.output) fact('Output', shown(run.output));
  header.append(facts);
  return header;
}

async function showRun(runId: string, generation: number): Promise<void> {
  document.body.dataset.view = 'run';
  const url = `runs/${encodeURIComponent(runId)}`;
  const status = el('p', '', 'poll');
  let data: RunView;
  try {
    data = await getJson<RunView>(url);
  } catch (error) {
    if (generation !== current) return;
    if (error instanceof KeyRefused) return askForKey(error);
    view().replaceChildren(el('p', `Could not load the run (${String(error)}).`, 'problem'));
    return;
  }
  if (generation !== current) return;
  showForgetKey();
  renderPipelines([data.run.pipeline], data.run.pipeline);
  const graph = drawGraph(data.graph);
  const graphPanel = el('div', undefined, 'graph-panel');
  graphPanel.append(graph);
  const table = el('table', undefined, 'history');
  const head = table.createTHead().insertRow();
  for (const title of ['ID', 'Time', 'Type', 'State', 'Input, output, error']) head.append(el('th', title));
  const body = table.createTBody();
  const header = el('div');
  const layout = el('div', undefined, 'run-layout');
  layout.append(graphPanel, header);
  view().replaceChildren(layout, el('h3', 'Event history'), table, status);
  let polls = 0;
  let problem = '';
  for (;;) {
    header.replaceChildren(runHeader(data.run));
    colourStates(graph, data.states);
    const start = Date.parse(data.history[0]?.timestamp ?? data.run.startedAt);
    if (data.history.length < body.rows.length) body.replaceChildren();
    for (const event of data.history.slice(body.rows.length)) body.append(historyRow(event, start));
    document.body.dataset.runStatus = data.run.status;
    document.body.dataset.polls = String(polls);
    if (data.run.status !== 'RUNNING') {
      status.textContent = '';
      return;
    }
    status.textContent = problem || 'Running: refreshing every second.';
    await sleep(RUN_POLL_MS);
    if (generation !== current) return;
    try {
      data = await getJson<RunView>(url);
      polls++;
      problem = '';
    } catch (error) {
      if (generation !== current) return;
      if (error instanceof KeyRefused) return askForKey(error);
      problem = `Could not refresh (${String(error)}); trying again.`;
    }
  }
}

// Each (re)start of the view takes a new generation; a loop of an older one stops at its next turn.
let current = 0;

function route(): void {
  const generation = ++current;
  const params = new URLSearchParams(location.search);
  const run = params.get('run');
  void (run ? showRun(run, generation) : showList(params.get('pipeline'), generation));
}

document.getElementById('forget-key')?.addEventListener('click', () => {
  sessionStorage.removeItem(KEY_ITEM);
  current++;
  askForKey();
});
route();
