/** Every text the bot says, in one place so wording stays consistent and reviewable. */
export const MESSAGES = {
  refusal: 'Sorry, this bot is private. Ask an administrator to add you.',
  welcome: (name: string) =>
    `Hi ${name}! Tell me what you want built ("a weather bot with daily notifications") and ` +
    'I will turn it into a tested, deployed repository. Send /help to see what I can do.',
  help: (isAdmin: boolean) =>
    [
      'What I understand:',
      '/start - introduction',
      '/help - this list',
      '/usage - model tokens and cost',
      'Any other text - a request for the Product Owner agent, e.g. "make me a weather bot with',
      'daily notifications", "list my projects", "deploy weather-bot".',
      'Secrets (bot tokens, API keys) you paste are stored encrypted and your message is deleted.',
      ...(isAdmin
        ? [
            '',
            'Admin commands:',
            '/adduser <telegram id> [name] - let someone use the bot',
            '/removeuser <telegram id> - take access away',
            '/users - who can use the bot',
          ]
        : []),
    ].join('\n'),
  adminsOnly: 'Only an administrator can do that.',
  addUserUsage: 'Usage: /adduser <numeric telegram id> [name]',
  removeUserUsage: 'Usage: /removeuser <numeric telegram id>',
  userAdded: (id: number) => `User ${id} can now use the bot.`,
  userAlreadyAdmin: (id: number) => `User ${id} is an administrator already.`,
  userRemoved: (id: number) => `User ${id} can no longer use the bot.`,
  userNotFound: (id: number) => `User ${id} was not on the list.`,
  cannotRemoveAdmin: (id: number) =>
    `User ${id} is an administrator from configuration (ADMIN_TELEGRAM_IDS); change it there.`,
  unsupported: 'I can only read text messages for now.',
  offlineModel:
    'Note: this installation runs the OFFLINE model: a few fixed commands (send anything else to see ' +
    'them), no network and no real AI. Configure Bedrock or an OpenAI-compatible model for real ' +
    'conversations.',
  unknownCommand: 'I do not know that command. Send /help for the list.',
  couldNotHandle:
    'Sorry, I could not handle that message, and trying again would not help. ' +
    'Your other messages are not affected; the operators can see what went wrong.',
  modelRefused:
    'Sorry, the language model refused that request, so I could not answer it. ' +
    'The operators can see why; please rephrase or try something else.',
  gaveUp: (attempts: number) =>
    `Sorry, I could not handle that message after ${attempts} tries. ` +
    'It is kept for the operators, who have been alerted; please send it again later.',
  tryingAgain: 'Trying again: three more attempts. I will tell you how it goes.',
  givingUp: 'OK, I stopped that build.',
  fixRunStarted:
    'Starting a fix run: it is built on a branch, tested, then deployed and checked. I will tell you how it goes.',
  fixRunDeclined: 'OK, I leave it as it is. Say "deploy <project>" when you want to try again.',
  buttonExpired: 'That question has expired. Ask again if you still want it.',
  buttonNotYours: 'That question was for someone else.',
  buttonStale: 'That button is no longer valid.',
  editsNotRead: 'I only read new messages, not edits: send it again as a new message if you meant it.',
  tooLong: (limit: number) => `That message is longer than ${limit} characters; please shorten it.`,
} as const;
