#!/usr/bin/env node
// A stand-in for the `claude` binary: records its argv, cwd and environment to FAKE_CLAUDE_RECORD
// (a path the test passes through the engine's `env` option), then behaves as FAKE_CLAUDE_MODE says:
// `result` prints a stream-json result line, `hang` starts a grandchild and waits to be killed,
// `crash` exits 2 with no result line.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const mode = process.env.FAKE_CLAUDE_MODE ?? 'result';
const record = { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env };
if (mode === 'hang') {
  const grandchild = spawn('sleep', ['60'], { stdio: 'ignore' });
  record.grandchildPid = grandchild.pid;
}
writeFileSync(process.env.FAKE_CLAUDE_RECORD, JSON.stringify(record));

if (mode === 'result') {
  console.log(JSON.stringify({ type: 'system', subtype: 'init' }));
  console.log('not json at all');
  console.log(
    JSON.stringify({
      type: 'result',
      subtype: process.env.FAKE_CLAUDE_SUBTYPE ?? 'success',
      is_error: process.env.FAKE_CLAUDE_SUBTYPE !== undefined,
      num_turns: 3,
      result: 'Built the thing',
      total_cost_usd: 99,
      usage: {
        input_tokens: 1000,
        output_tokens: 200,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
      modelUsage: {
        'model-big': {
          inputTokens: 900,
          outputTokens: 150,
          cacheReadInputTokens: 2000,
          cacheCreationInputTokens: 100,
        },
        'model-small': {
          inputTokens: 100,
          outputTokens: 50,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
        },
      },
    }),
  );
} else if (mode === 'hang') {
  setInterval(() => {}, 1_000);
} else {
  console.error('boom');
  process.exit(2);
}
