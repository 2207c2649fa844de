/**
 * What a person's message asks for, read with keyword rules. The offline model has no language
 * understanding: these rules cover the phrases this product's flows use (see the help text in
 * replies.ts), so the whole bot can be driven locally and in tests without a real model.
 */

export interface SecretPlaceholder {
  ref: string;
  kind: string;
}

export type Intent =
  | {
      kind: 'secret_ref';
      placeholders: SecretPlaceholder[];
      key?: string;
      target?: string;
      create?: CreateIntent;
    }
  | { kind: 'secret_stored'; key: string; projectId: string }
  | { kind: 'usage'; all: boolean }
  | { kind: 'list_users' }
  | { kind: 'list_servers' }
  | { kind: 'approve'; target?: string }
  | { kind: 'run_status'; target?: string }
  | { kind: 'deploy'; target?: string }
  | { kind: 'engineering'; target?: string }
  | { kind: 'set_secret'; key?: string; target?: string }
  | { kind: 'list_projects'; all: boolean }
  | { kind: 'status'; target?: string; bare: boolean }
  | { kind: 'assign'; target: string }
  | CreateIntent
  | { kind: 'greeting' }
  | { kind: 'help' };

export interface CreateIntent {
  kind: 'create';
  name: string;
  description: string;
  /** The same message also asked to start building ("... and build it"). */
  build: boolean;
}

export interface ClassifyOptions {
  /** The text names a project the transcript knows, so "build X" means engineering, not a new project. */
  mentionsProject?: boolean;
}

// The chat layer replaces a pasted secret with `[secret:<12 hex ref> <KIND>]`; a few more hex
// digits or a missing kind are tolerated so a format tweak there does not break every flow here.
const PLACEHOLDER = /\[secret:([0-9a-f]{6,32})(?:\s+([A-Za-z][A-Za-z0-9_]*))?[^\]]*\]/gi;
const STORED_NOTE = /\[secret ([A-Za-z][A-Za-z0-9_]*) for project (\S+) received and stored\]/i;

export function secretPlaceholders(text: string): SecretPlaceholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({
    ref: (m[1] ?? '').toLowerCase(),
    kind: (m[2] ?? 'SECRET').toUpperCase(),
  }));
}

/** The same text with every placeholder's reference taken out (the kind stays, it is no secret). */
export function withoutSecretRefs(text: string): string {
  return text.replace(PLACEHOLDER, (_all, _ref: string, kind?: string) =>
    kind ? `[secret ${kind.toUpperCase()}]` : '[secret]',
  );
}

export function storedSecretNote(text: string): { key: string; projectId: string } | undefined {
  const m = STORED_NOTE.exec(text);
  return m?.[1] && m[2] ? { key: m[1].toUpperCase(), projectId: m[2] } : undefined;
}

/** Lower case, typographic quotes made plain, placeholders out, single spaces, no trailing punctuation. */
export function normalise(text: string): string {
  return text
    .replace(PLACEHOLDER, ' ')
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.!?,;:]+$/g, '');
}

// Words a person puts before the request itself: "please", "hey", "can you", "help me".
const PREFIX = String.raw`(?:(?:please|pls|hey|hi|hello|ok|okay|so|now|and|then|can you|could you|would you|will you|let's|lets|help me)[\s,]+)*`;
const CREATE_VERB = '(?:make|create|build|write|develop|code)';
const ARTICLE = '(?:a|an|some|one|new)';
const STRONG_CREATE = new RegExp(
  `^${PREFIX}(?:${CREATE_VERB}\\s+(?:me\\s+|us\\s+)?${ARTICLE}\\b` +
    `|(?:i|we)(?:\\s+(?:want|need|would like)|'d like)\\s+(?:(?:you\\s+)?to\\s+${CREATE_VERB}\\s+(?:me\\s+|us\\s+)?)?${ARTICLE}\\b` +
    `|create\\s+(?:a\\s+)?project\\b)` +
    `|\\bnew project\\b`,
);
const WEAK_CREATE = new RegExp(
  `^${PREFIX}(?:${CREATE_VERB}|(?:i|we)(?:\\s+(?:want|need|would like)|'d like))\\b(?!\\s+(?:it|this|that|them)\\b)`,
);

const ENGINEERING =
  /\bstart(?:\s+the)?\s+(?:engineering|building|build|coding|development)\b|\b(?:build|engineer|code|develop)\s+(?:it|this|that|them)\b|\bgo ahead and build\b|\brun the (?:engineering )?pipeline\b/;
const USAGE = /\b(?:usage|cost|costs|spend|spending|spent|tokens|billing|bill)\b/;
const EVERYONE = /\b(?:all|every ?one'?s?|every ?body'?s?|total|overall|whole)\b/;
const USERS = /\b(?:users|people|members)\b|\bwho (?:has|have|can) access\b/;
const SERVERS = /\bservers?\b/;
const APPROVE = /\bapprov(?:e|al|ed)\b/;
const RUN = '(?:the |my |last |latest )*(?:run|pipeline|build|deploy(?:ment)?)';
// "how is the deploy going" asks about a run; it must not start another one.
const RUN_STATUS = new RegExp(
  `\\b(?:run|pipeline|build|deploy(?:ment)?)\\s+status\\b|\\bstatus of ${RUN}\\b|\\bhow(?:'s| is| did) ${RUN}\\b`,
);
const DEPLOY = /\b(?:deploy|redeploy|ship it|go live)\b/;
const BUILD = /\bbuild\b/;
const SECRET_WORDS = /\b(?:secrets?|token|api key|key|password|credentials?|env var)\b/;
const KEY_TOKEN = /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/;
const KEY_AFTER_WORD = /\b(?:secret|variable|env var)\s+([A-Za-z][A-Za-z0-9_]{1,63})\b/i;
const KEY_ALIASES: Array<[RegExp, string]> = [
  [/\b(?:telegram )?bot token\b|\btelegram token\b/, 'TELEGRAM_BOT_TOKEN'],
  [/\bopenai (?:api )?key\b/, 'OPENAI_API_KEY'],
  [/\bgithub token\b/, 'GITHUB_TOKEN'],
  [/\baws (?:access )?key\b/, 'AWS_ACCESS_KEY_ID'],
];
const KEY_OVERRIDE = /\bas\s+([A-Z][A-Z0-9_]{1,63})\b/;
const NEEDS_KEY = /\b(?:needs?|requires?)\s+(?:a |an |the )?[A-Z][A-Z0-9]*_[A-Z0-9_]+/;
const PROJECTS = /\bprojects\b|^(?:list|ls|show)(?: (?:all|everything|mine))?$/;
const STATUS = /\b(?:status|how is|how's|how are|progress|state of|details|describe|show|check|info)\b/;
const ASSIGN =
  /^(?:(?:it'?s|it is|that'?s|that is|this is)\s+)?(?:for|to|on)\s+(?:project\s+)?([a-z0-9][a-z0-9-]*)$/;
const KEBAB = /\b([a-z0-9]+(?:-[a-z0-9]+)+)\b/;
const GREETING =
  /^(?:hi|hello|hey|hiya|yo|howdy|greetings|good (?:morning|afternoon|evening)|\/start|start)\b/;
const HELP = /\bhelp\b|\bwhat can you do\b|\bwho are you\b|\bhow does (?:this|it) work\b|^\/help\b/;

const words = (list: string): ReadonlySet<string> => new Set(list.split(/\s+/).filter(Boolean));

// Words that follow a verb but do not name a project.
const NOT_A_NAME = words(
  `it this that them the my a an project projects now please again everything all me us one to for
   of on is are going doing status run pipeline build deploy deployment`,
);

function firstName(text: string, patterns: RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const name = pattern.exec(text)?.[1];
    if (name && !NOT_A_NAME.has(name)) return name;
  }
  return undefined;
}

const THE = String.raw`(?:(?:the|my|project)\s+)*`;
const targetAfter = (verbs: string) => new RegExp(`\\b(?:${verbs})\\s+${THE}([a-z0-9][a-z0-9-]*)`);
const FOR_TARGET = targetAfter('for|on|to|in');
const SUBJECT_NEEDS = /^([a-z0-9][a-z0-9-]*)\s+(?:needs|requires)\b/;

function secretKey(text: string): string | undefined {
  const lower = normalise(text);
  const explicit = KEY_TOKEN.exec(text.replace(PLACEHOLDER, ' '))?.[1];
  if (explicit) return explicit;
  const afterWord = KEY_AFTER_WORD.exec(text.replace(PLACEHOLDER, ' '))?.[1];
  if (afterWord && !['value', 'called', 'named', 'for', 'key', 'token'].includes(afterWord.toLowerCase())) {
    return afterWord.toUpperCase();
  }
  return KEY_ALIASES.find(([pattern]) => pattern.test(lower))?.[1];
}

function createIntent(text: string, lower: string): CreateIntent {
  // The kind of a pasted secret may stay in the description; its reference may not.
  const description = withoutSecretRefs(text).replace(/\s+/g, ' ').trim().slice(0, 4000);
  return {
    kind: 'create',
    name: deriveProjectName(text),
    description: description.length >= 3 ? description : `${description} project`.trim(),
    build: ENGINEERING.test(lower),
  };
}

/** The one thing the message asks for, first rule that matches wins (the order is the priority). */
export function classify(text: string, options: ClassifyOptions = {}): Intent {
  const lower = normalise(text);
  const placeholders = secretPlaceholders(text);
  if (placeholders.length > 0) {
    const create = STRONG_CREATE.test(lower) ? createIntent(text, lower) : undefined;
    return {
      kind: 'secret_ref',
      placeholders,
      key: KEY_OVERRIDE.exec(text)?.[1],
      target: firstName(lower, [FOR_TARGET]),
      ...(create ? { create } : {}),
    };
  }
  const stored = storedSecretNote(text);
  if (stored) return { kind: 'secret_stored', ...stored };
  if (STRONG_CREATE.test(lower)) return createIntent(text, lower);
  if (USAGE.test(lower)) return { kind: 'usage', all: EVERYONE.test(lower) };
  if (USERS.test(lower)) return { kind: 'list_users' };
  if (SERVERS.test(lower)) return { kind: 'list_servers' };
  if (APPROVE.test(lower))
    return { kind: 'approve', target: firstName(lower, [FOR_TARGET, targetAfter('approve')]) };
  if (RUN_STATUS.test(lower))
    return { kind: 'run_status', target: firstName(lower, [FOR_TARGET, targetAfter('of')]) };
  if (DEPLOY.test(lower))
    return { kind: 'deploy', target: firstName(lower, [targetAfter('deploy|redeploy')]) };
  const buildTarget = firstName(lower, [targetAfter('build|building')]);
  if (
    ENGINEERING.test(lower) ||
    (BUILD.test(lower) && (options.mentionsProject || KEBAB.test(buildTarget ?? '')))
  ) {
    return { kind: 'engineering', target: buildTarget };
  }
  if (SECRET_WORDS.test(lower) || NEEDS_KEY.test(text)) {
    return {
      kind: 'set_secret',
      key: secretKey(text),
      target: firstName(lower, [FOR_TARGET, SUBJECT_NEEDS]),
    };
  }
  if (PROJECTS.test(lower)) return { kind: 'list_projects', all: EVERYONE.test(lower) };
  const assign = ASSIGN.exec(lower)?.[1];
  if (assign && !NOT_A_NAME.has(assign)) return { kind: 'assign', target: assign };
  const kebab = KEBAB.exec(lower)?.[1];
  if (STATUS.test(lower) || kebab || options.mentionsProject) {
    const target = firstName(lower, [
      targetAfter(
        "status of|status for|how is|how's|show|check|describe|details of|details for|info on|about",
      ),
      /\b([a-z0-9][a-z0-9-]*)\s+status\b/,
    ]);
    return { kind: 'status', target: target ?? kebab, bare: kebab !== undefined && lower === kebab };
  }
  if (GREETING.test(lower)) return { kind: 'greeting' };
  if (HELP.test(lower)) return { kind: 'help' };
  if (WEAK_CREATE.test(lower)) return createIntent(text, lower);
  return { kind: 'help' };
}

const GROUPS_BY_INTENT: Record<Intent['kind'], string[]> = {
  secret_ref: ['projects'],
  secret_stored: ['projects'],
  usage: ['usage'],
  list_users: ['admin'],
  list_servers: ['admin'],
  approve: ['engineering', 'projects'],
  run_status: ['engineering', 'projects'],
  deploy: ['deploy', 'projects'],
  engineering: ['engineering', 'projects'],
  set_secret: ['projects'],
  list_projects: ['projects'],
  status: ['projects'],
  assign: ['projects'],
  create: ['projects'],
  greeting: [],
  help: [],
};

/**
 * Capability groups for the intent parser: the main intent's groups plus any other flow the
 * message names ("make me a bot and build it", "create X then deploy it"), limited to `allowed`
 * and in its order.
 */
export function groupsFor(text: string, allowed: readonly string[]): string[] {
  const lower = normalise(text);
  const intent = classify(text);
  const wanted = new Set(GROUPS_BY_INTENT[intent.kind]);
  if (intent.kind === 'secret_ref' && intent.create) wanted.add('projects');
  if (intent.kind !== 'greeting' && intent.kind !== 'help') {
    if (ENGINEERING.test(lower) || APPROVE.test(lower)) wanted.add('engineering').add('projects');
    if (DEPLOY.test(lower)) wanted.add('deploy').add('projects');
    if (USAGE.test(lower)) wanted.add('usage');
    // "token usage" is about model tokens, not a bot token.
    if ((SECRET_WORDS.test(lower) && intent.kind !== 'usage') || KEBAB.test(lower)) wanted.add('projects');
  }
  return allowed.filter((group) => wanted.has(group));
}

// Leading words that are not part of a name: "please make me a", "i want an app that".
const FILLER = words(
  `please pls hey hi hello ok okay so now can could would will you i we i'd we'd want need like to
   make create build write develop code set up me us a an the new some one simple small little quick
   project app application that which help let's lets just my our called named |`,
);
// Words where the name ends and the description goes on: "weather bot | with daily notifications".
const STOP = words(
  `with that which for to and who where when while so using in on from by of but or via than then
   called named |`,
);
const MAX_NAME_WORDS = 3;
const FALLBACK_NAME = 'new-project';

/**
 * A repository-friendly project name from a request: "make me a weather bot with daily
 * notifications" -> "weather-bot". "called X"/"named X" wins; otherwise leading filler is dropped
 * and up to three words are kept until a word that starts the description.
 */
export function deriveProjectName(text: string): string {
  const plain = text
    .replace(PLACEHOLDER, ' ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’‘`]/g, "'")
    // Punctuation ends the name as a stop word does: "a weather bot, with alerts".
    .replace(/[,.;:!?()\n]+/g, ' | ')
    .replace(/[^a-z0-9'| -]+/g, ' ');
  const tokens = plain
    .split(/\s+/)
    .map((w) => w.replace(/^['-]+|['-]+$/g, ''))
    .filter(Boolean);
  const called = tokens.findIndex((w) => w === 'called' || w === 'named');
  let start = called >= 0 && called + 1 < tokens.length ? called + 1 : 0;
  if (start === 0) while (start < tokens.length && FILLER.has(tokens[start] ?? '')) start++;
  const kept: string[] = [];
  for (const word of tokens.slice(start)) {
    if (STOP.has(word) || kept.length === MAX_NAME_WORDS) break;
    kept.push(word);
  }
  const name = kept
    .join('-')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  if (name.length === 0) return FALLBACK_NAME;
  // Project names need three characters at least ("ai" -> "ai-app").
  return name.length < 3 ? `${name}-app` : name;
}
