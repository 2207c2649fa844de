import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildKnowledge, type KnowledgeSetup } from '../lambdas/app/knowledge-wiring.ts';

/**
 * Drops one project's knowledge index so that it is rebuilt from its repository: every vector its
 * manifest lists is deleted, then the manifest (the keyword index). The next repository sync sees
 * an unindexed project and indexes its default branch head again, every chunk embedded anew.
 *
 *   npm run knowledge:rebuild -- <project id>                  # local: .local/data (stack stopped)
 *   npm run knowledge:rebuild -- <project id> --data-dir <dir>
 *   KNOWLEDGE_DRIVER=aws KNOWLEDGE_VECTOR_BUCKET=<name> KNOWLEDGE_BUCKET=<name> \
 *     npm run knowledge:rebuild -- <project id>                # deployed: the stack's buckets
 *
 * Locally, stop the stack first: it is the only writer of its data dir while it runs.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'data-dir': { type: 'string' } },
});
const project = positionals[0];
if (!project || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(project)) {
  console.error('usage: npm run knowledge:rebuild -- <project id> [--data-dir <dir>]');
  process.exit(2);
}

const env = process.env;
const setup: KnowledgeSetup =
  env.KNOWLEDGE_DRIVER === 'aws'
    ? {
        driver: 'aws',
        vectorBucketName: required('KNOWLEDGE_VECTOR_BUCKET'),
        bucket: required('KNOWLEDGE_BUCKET'),
        prefix: env.KNOWLEDGE_PREFIX ?? 'knowledge/',
      }
    : {
        driver: 'local',
        dir:
          env.LOCAL_KNOWLEDGE_DIR ||
          resolve(values['data-dir'] ?? env.LOCAL_DATA_DIR ?? '.local/data', 'knowledge'),
      };

const knowledge = await buildKnowledge(setup);
const { deleted } = await knowledge.indexer.drop(project);
console.log(
  `Dropped the knowledge index of ${project} (${deleted} chunk(s), ${setup.driver}). The next repository sync rebuilds it from the default branch` +
    (setup.driver === 'aws'
      ? ' (within 15 minutes, or invoke the repository-sync job Lambda now).'
      : ' (start the stack; the sync runs on its schedule).'),
);

function required(name: string): string {
  const value = env[name];
  if (!value) {
    console.error(`${name} is required with KNOWLEDGE_DRIVER=aws`);
    process.exit(2);
  }
  return value;
}
