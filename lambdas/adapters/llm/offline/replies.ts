/**
 * What the offline model says to the person. Tool results are written for a model ("Tell the
 * person so plainly ..."), so each known result is rephrased in plain words before it reaches
 * the chat; unknown results are passed on as they are.
 */

export const DECLINED = 'The person declined; nothing was done.';
// respond_to_user takes at most 4000 characters.
const MAX_REPLY = 4000;

const CREATED = /^Project created: (\S+) \(id ([^,)]+)/;
const DESCRIBED = /^(\S+) \(id ([^,)]+), owner [^)]*\): status (\S+); secrets: (.*?); "([\s\S]*)"$/;
const LISTED = /^Projects \((\d+)\):\n([\s\S]*)$/;
const NOT_LANDED = /The (\w+) pipeline is not part of this installation yet, so nothing was started\./;
const WAITING = /^Waiting for the person to send the value of (\S+) for (.+?)\.?$/;
const STORED = /^Secret (\S+) stored for (.+?)\.?$/;

function describeLine(line: string): string {
  const m = DESCRIBED.exec(line);
  return m ? `${m[1]} (id ${m[2]}): ${m[3]}, secrets: ${m[4]}` : line;
}

/** One tool result in plain words. */
export function reportResult(content: string, isError: boolean): string {
  if (isError) return `That did not work: ${content}`;
  if (content === DECLINED) return 'OK, I did not do it.';
  const created = CREATED.exec(content);
  if (created) {
    return `Created project ${created[1]} (id ${created[2]}). Say "build it" to start engineering, or send secrets it needs.`;
  }
  const pipeline = NOT_LANDED.exec(content);
  if (pipeline) {
    // approve_escalation puts its own sentence first: "Nothing is waiting for approval on X: ...".
    const before = content.slice(0, pipeline.index).replace(/[\s:]+$/, '');
    const plain = `The ${pipeline[1]} pipeline is not part of this installation yet, so nothing was started.`;
    return before ? `${before}. ${plain}` : plain;
  }
  const waiting = WAITING.exec(content);
  if (waiting) {
    return `Send me the value of ${waiting[1]} for ${waiting[2]} now. I will store it encrypted and delete your message.`;
  }
  const stored = STORED.exec(content);
  if (stored) return `Stored ${stored[1]} for ${stored[2]}. It is kept encrypted; I never see the value.`;
  if (content === 'No projects yet.') {
    return 'You have no projects yet. Tell me what to build, e.g. "make me a weather bot with daily notifications".';
  }
  const listed = LISTED.exec(content);
  if (listed) {
    const lines = (listed[2] ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => `- ${describeLine(l)}`);
    return [`Projects (${listed[1]}):`, ...lines].join('\n');
  }
  const described = DESCRIBED.exec(content);
  if (described) {
    const [, name, id, status, secrets, description] = described;
    return `${name} (id ${id}) is ${status}. Secrets: ${secrets}. What it is: "${description}"`;
  }
  return content;
}

export function storedNote(key: string, project: string): string {
  return `Stored ${key} for ${project}. It is kept encrypted; I never see the value. Say "build it" when it has everything it needs.`;
}

export function helpText(options: { greeting?: boolean; admin?: boolean } = {}): string {
  return clamp(
    [
      `${options.greeting ? 'Hello! ' : ''}I am the offline model (no real AI), so I understand a few plain commands:`,
      '- "make me a weather bot with daily notifications" creates a project',
      '- "list my projects", "status of weather-bot"',
      '- "set secret TELEGRAM_BOT_TOKEN for weather-bot", or paste the token itself',
      '- "build it" starts engineering, "deploy it" deploys, "approve weather-bot"',
      '- "usage" shows model tokens and cost',
      ...(options.admin ? ['- "list users", "servers", "usage of everyone", "list all projects"'] : []),
    ].join('\n'),
  );
}

/** `example` is the command with a project name, e.g. 'deploy weather-bot'. */
export const askProject = (example: string): string =>
  `Which project do you mean? Name it, e.g. "${example}", or say "list my projects".`;

export const askSecretProject = (kinds: string[]): string =>
  `Which project is this ${kinds.join(' and ')} for? Say "it is for <project name>" and I will store it there.`;

export const ASK_SECRET_KEY =
  'Which secret should I set? Name it, e.g. "set secret TELEGRAM_BOT_TOKEN for weather-bot".';

export const unavailable = (group: string): string =>
  `I cannot do that here: it needs the ${group} tools, which are not available to you.`;

export const pendingSecretHint = (name: string): string =>
  `Say "it is for ${name}" to store the secret you sent with it.`;

export function clamp(text: string): string {
  return text.length <= MAX_REPLY ? text : `${text.slice(0, MAX_REPLY - 1)}…`;
}
