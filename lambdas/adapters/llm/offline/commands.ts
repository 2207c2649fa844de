/**
 * The offline model's whole language: a few commands a person types, one per message. It reads
 * nothing else as language; what the system reports (tool results, system notes) it reads as
 * data. Anything that is not a command gets the help text, which lists them all.
 */
export type Command =
  | { kind: 'create'; name: string; description: string }
  | { kind: 'list_projects'; all: boolean }
  | { kind: 'status'; project: string }
  | { kind: 'build'; project: string; deployAfter?: boolean }
  | { kind: 'deploy'; project: string }
  | { kind: 'run_status'; project: string }
  | { kind: 'approve'; project: string }
  | { kind: 'set_secret'; key: string; project: string }
  | { kind: 'store_secrets'; project: string }
  | { kind: 'usage'; all: boolean }
  | { kind: 'list_users' }
  | { kind: 'list_servers' }
  | { kind: 'add_server'; host: string; user: string; sshPort?: number; ports?: { from: number; to: number } }
  | { kind: 'remove_server'; server: string }
  | { kind: 'add_pool_bot' }
  | { kind: 'bot_pool' }
  | { kind: 'remove_pool_bot'; bot: string }
  | { kind: 'create_api_key'; name: string; ownerId?: number }
  | { kind: 'list_api_keys' }
  | { kind: 'rotate_api_key'; key: string }
  | { kind: 'revoke_api_key'; key: string }
  | { kind: 'delete'; project: string }
  | { kind: 'set_budget'; person?: number; project?: string; usd: number }
  | { kind: 'remind'; inSeconds: number; text: string }
  | { kind: 'list_reminders' }
  | { kind: 'cancel_reminder'; id: string }
  | { kind: 'search'; project: string; query: string }
  | { kind: 'answer'; yes: boolean }
  | { kind: 'help' };

const NAME = `([a-z0-9][a-z0-9_-]*)`;
const UNIT_SECONDS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

// Order matters where forms overlap: "run status of x" before "status of x".
const GRAMMAR: Array<[RegExp, (m: RegExpExecArray) => Command]> = [
  [
    new RegExp(
      String.raw`^(?:create|new|make)(?: me)?(?: a)?(?: new)? project (?:called |named )?${NAME}(?:\s*[:,-]\s*([\s\S]+))?$`,
      'i',
    ),
    (m) => ({ kind: 'create', name: m[1] ?? '', description: (m[2] ?? '').trim() || `${m[1]} project` }),
  ],
  // "make me a weather bot with daily notifications": the product's own first sentence.
  [
    /^(?:make|build|create|write) me an? ([a-z0-9][a-z0-9 -]*?) bot\b(?:\s+(?:with|that|which|for|to)\b[\s\S]*)?$/i,
    (m) => ({ kind: 'create', name: `${slug(m[1] ?? '')}-bot`, description: m[0] }),
  ],
  [/^(?:list|show) (my )?projects$/i, () => ({ kind: 'list_projects', all: false })],
  [/^(?:list|show) all projects$/i, () => ({ kind: 'list_projects', all: true })],
  [
    new RegExp(`^(?:run|build|deploy) status (?:of |for )?${NAME}$`, 'i'),
    (m) => ({ kind: 'run_status', project: m[1] ?? '' }),
  ],
  [
    new RegExp(`^(?:status|show|describe)(?: of)? ${NAME}$`, 'i'),
    (m) => ({ kind: 'status', project: m[1] ?? '' }),
  ],
  [new RegExp(`^build ${NAME}$`, 'i'), (m) => ({ kind: 'build', project: m[1] ?? '' })],
  [
    new RegExp(`^build and deploy ${NAME}$`, 'i'),
    (m) => ({ kind: 'build', project: m[1] ?? '', deployAfter: true }),
  ],
  [new RegExp(`^deploy ${NAME}$`, 'i'), (m) => ({ kind: 'deploy', project: m[1] ?? '' })],
  [new RegExp(`^approve ${NAME}$`, 'i'), (m) => ({ kind: 'approve', project: m[1] ?? '' })],
  [
    new RegExp(`^set secret ([A-Za-z][A-Za-z0-9_]*) for ${NAME}$`, 'i'),
    (m) => ({ kind: 'set_secret', key: (m[1] ?? '').toUpperCase(), project: m[2] ?? '' }),
  ],
  [
    new RegExp(`^store (?:the )?secrets? for ${NAME}$`, 'i'),
    (m) => ({ kind: 'store_secrets', project: m[1] ?? '' }),
  ],
  [/^(?:my )?usage$/i, () => ({ kind: 'usage', all: false })],
  [/^(?:all usage|usage of (?:everyone|all))$/i, () => ({ kind: 'usage', all: true })],
  [/^(?:list )?users$/i, () => ({ kind: 'list_users' })],
  [/^(?:list )?servers$/i, () => ({ kind: 'list_servers' })],
  // The SSH key is never part of the command: it is pasted (and taken out of the chat) on its own.
  [
    /^add server ([A-Za-z0-9.:-]+) user ([a-z_][a-z0-9_-]*)(?: port (\d{1,5}))?(?: ports (\d{1,5})\s*-\s*(\d{1,5}))?$/i,
    (m) => ({
      kind: 'add_server',
      host: m[1] ?? '',
      user: m[2] ?? '',
      ...(m[3] ? { sshPort: Number(m[3]) } : {}),
      ...(m[4] && m[5] ? { ports: { from: Number(m[4]), to: Number(m[5]) } } : {}),
    }),
  ],
  [
    /^remove server ([a-z0-9][a-z0-9-]*)$/i,
    (m) => ({ kind: 'remove_server', server: (m[1] ?? '').toLowerCase() }),
  ],
  [/^add (?:a )?(?:pool bot|bot to the pool)$/i, () => ({ kind: 'add_pool_bot' })],
  [/^(?:list )?(?:the )?(?:bot pool|pool bots)$/i, () => ({ kind: 'bot_pool' })],
  [/^remove pool bot (@?[A-Za-z0-9_]+)$/i, (m) => ({ kind: 'remove_pool_bot', bot: m[1] ?? '' })],
  [
    /^(?:create|new) (?:an )?api key ([\w.@:-]{1,60})(?: for (\d{1,15}))?$/i,
    (m) => ({ kind: 'create_api_key', name: m[1] ?? '', ...(m[2] ? { ownerId: Number(m[2]) } : {}) }),
  ],
  [/^(?:list )?api keys$/i, () => ({ kind: 'list_api_keys' })],
  [/^rotate api key ([0-9a-f]{10})$/i, (m) => ({ kind: 'rotate_api_key', key: (m[1] ?? '').toLowerCase() })],
  [/^revoke api key ([0-9a-f]{10})$/i, (m) => ({ kind: 'revoke_api_key', key: (m[1] ?? '').toLowerCase() })],
  [new RegExp(`^delete(?: project)? ${NAME}$`, 'i'), (m) => ({ kind: 'delete', project: m[1] ?? '' })],
  [
    new RegExp(
      String.raw`^set (?:the )?(?:monthly )?budget (?:of|for) (?:user (\d{1,15})|project ${NAME}) to \$?(\d+(?:\.\d+)?)$`,
      'i',
    ),
    (m) => ({
      kind: 'set_budget',
      ...(m[1] ? { person: Number(m[1]) } : { project: m[2] ?? '' }),
      usd: Number(m[3]),
    }),
  ],
  [
    /^remind me in (\d{1,6}) (second|minute|hour|day)s? (?:to |that |about )?([\s\S]+)$/i,
    (m) => ({
      kind: 'remind',
      inSeconds: Number(m[1]) * (UNIT_SECONDS[(m[2] ?? '').toLowerCase()] ?? 60),
      text: (m[3] ?? '').trim(),
    }),
  ],
  [/^(?:list |show )?(?:my )?reminders$/i, () => ({ kind: 'list_reminders' })],
  [
    /^cancel reminder (rem-[0-9a-f]{16})$/i,
    (m) => ({ kind: 'cancel_reminder', id: (m[1] ?? '').toLowerCase() }),
  ],
  // "search weather-bot for why did we pick SQLite": the one form of a knowledge question.
  [
    new RegExp(String.raw`^search ${NAME} for (\S[\s\S]{1,499})$`, 'i'),
    (m) => ({ kind: 'search', project: m[1] ?? '', query: (m[2] ?? '').trim() }),
  ],
  [/^(?:yes|y|confirm)$/i, () => ({ kind: 'answer', yes: true })],
  [/^(?:no|n|cancel)$/i, () => ({ kind: 'answer', yes: false })],
];

const slug = (words: string) =>
  words
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Words that stand for the project the conversation is about. */
export const THIS_PROJECT = new Set(['it', 'this', 'that']);

export function parseCommand(text: string): Command {
  const command = text.trim().replace(/[.!?]+$/, '');
  for (const [pattern, build] of GRAMMAR) {
    const match = pattern.exec(command);
    if (match) return build(match);
  }
  return { kind: 'help' };
}

/** The text a person typed around the secrets taken out of it (their `[secret:<ref> KIND]` marks). */
export function withoutSecretMarks(text: string): string {
  return text.replace(/\[secret:[0-9a-f]+ [A-Z_]+\]/g, ' ').trim();
}

/** The project a message with pasted secrets names ("the token for weather-bot: ..."), if any. */
export function projectNamedWith(text: string): string | undefined {
  return new RegExp(String.raw`\bfor ${NAME}`, 'i').exec(text)?.[1];
}

/** The tool groups (capabilities.ts) each command needs. */
export const GROUPS_FOR: Record<Command['kind'], string[]> = {
  create: ['projects'],
  list_projects: ['projects'],
  status: ['projects'],
  build: ['engineering'],
  deploy: ['deploy'],
  run_status: ['engineering'],
  approve: ['engineering'],
  set_secret: ['projects'],
  store_secrets: ['projects'],
  usage: ['usage'],
  list_users: ['admin'],
  list_servers: ['admin'],
  add_server: ['admin'],
  remove_server: ['admin'],
  add_pool_bot: ['admin'],
  bot_pool: ['admin'],
  remove_pool_bot: ['admin'],
  create_api_key: ['admin'],
  list_api_keys: ['admin'],
  rotate_api_key: ['admin'],
  revoke_api_key: ['admin'],
  delete: ['projects'],
  set_budget: ['admin'],
  remind: ['reminders'],
  list_reminders: ['reminders'],
  cancel_reminder: ['reminders'],
  search: ['knowledge'],
  answer: [],
  help: [],
};
