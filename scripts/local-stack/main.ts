import { ConfigError } from '../../lambdas/config/config.ts';
import { loadLocalSettings } from './local-config.ts';
import { missingTools } from './required-tools.ts';
import { startLocalStack } from './stack.ts';
import { startTerminalChat } from './terminal-chat.ts';

/**
 * `npm start`: the whole product on this machine, and a terminal chat to talk to it as a
 * Telegram user. Ctrl-C stops everything; the next start continues where this one stopped.
 */
async function main(): Promise<void> {
  const startedAt = Date.now();
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const missing = missingTools();
  if (missing.length > 0) {
    console.error(['The local stack needs programs that are not installed:', ...missing].join('\n  '));
    process.exit(1);
  }
  const settings = loadLocalSettings();
  const stack = await startLocalStack({
    dataDir: settings.dataDir,
    httpPort: settings.httpPort,
    telegramPort: settings.telegramPort,
    sfnPort: settings.sfnPort,
    chatUserId: settings.chatUserId,
    log: (line) => console.error(`[local-stack] ${line}`),
  });
  const admins = [...stack.config.adminIds].join(', ') || 'none (nobody can use the bot)';
  console.log(
    [
      `Local stack ready in ${Date.now() - startedAt} ms (data in ${settings.dataDir})`,
      `  webhook:          ${stack.webhookUrl}`,
      `  admin API:        ${stack.apiUrl} (key in ${stack.apiKeyFile ?? 'none: no admin'}; try \`npm run orchestrator -- status\`)`,
      `  Bot API emulator: ${stack.emulator.apiRoot}`,
      `  Step Functions:   ${stack.engineering.sfnUrl} (npm run runs)`,
      `  run inspector:    ${stack.inspectorUrl}`,
      `  git host:         ${stack.engineering.gitServer.url}/local`,
      `  admins:           ${admins}`,
      `You are Telegram user ${settings.chatUserId}. Type a message; /as <id> switches user, /press <n> presses a button, Ctrl-C quits.`,
    ].join('\n'),
  );
  const chat = startTerminalChat({
    emulator: stack.emulator,
    botToken: stack.botToken,
    userId: settings.chatUserId,
    userName: settings.chatUserName,
  });

  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\nStopping (${reason})...`);
    chat.stop();
    await stack.stop();
    console.log('Stopped. Everything is kept for the next start.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // With stdin closed (not a terminal), keep serving until a signal arrives.
  await chat.done;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
