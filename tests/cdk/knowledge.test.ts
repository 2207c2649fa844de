import { beforeAll, describe, expect, it } from 'vitest';
import type { OrchestratorFunction } from '../../cdk/lib/constructs/orchestrator-function.ts';
import { type Statement, statementsOfRole } from './support/iam.ts';
import { type Synthesized, synthesize } from './support/synth.ts';

let s: Synthesized;
let keywordBucket: string;

beforeAll(() => {
  s = synthesize();
  keywordBucket = s.logicalId(s.stack.knowledge.keywordBucket);
});

const statementsOf = (fn: OrchestratorFunction): Statement[] =>
  statementsOfRole(s.template, s.logicalId(fn.role));
const INDEXES =
  'arn:<AWS::Partition>:s3vectors:<AWS::Region>:<AWS::AccountId>:bucket/codegenorchestrator-knowledge/index/k1-*';
const TITAN = 'arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.titan-embed-text-v2:0';

/** An ARN as one string: `<AWS::Region>` for a Ref, `<Id.Attr>` for a GetAtt. */
function joined(arn: unknown): string {
  if (typeof arn === 'string') return arn;
  const join = (arn as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return JSON.stringify(arn);
  return join[1]
    .map((p) => {
      if (typeof p === 'string') return p;
      const getAtt = (p as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
      return getAtt ? `<${getAtt.join('.')}>` : `<${(p as { Ref: string }).Ref}>`;
    })
    .join(join[0]);
}

/** The knowledge statements of a role: every s3vectors, S3 and bedrock action, by resource. */
function knowledgeGrants(fn: OrchestratorFunction): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const st of statementsOf(fn)) {
    const actions = st.actions.filter(
      (a) => a.startsWith('s3vectors:') || a.startsWith('s3:') || a === 'bedrock:InvokeModel',
    );
    if (actions.length === 0) continue;
    for (const resource of st.resources) {
      const key = joined(resource).replace(TITAN, 'TITAN');
      // The agent's own models (invokesBedrockModels) are another grant.
      if (key.includes(':bedrock:') && key !== 'TITAN') continue;
      grants[key] = [...(grants[key] ?? []), ...actions].sort();
    }
  }
  return grants;
}

describe('Project knowledge stores', () => {
  it('is an S3 vector bucket (L1) named after the stack, and an encrypted, SSL-only, private keyword bucket', () => {
    s.template.hasResourceProperties('AWS::S3Vectors::VectorBucket', {
      VectorBucketName: 'codegenorchestrator-knowledge',
      EncryptionConfiguration: { SseType: 'AES256' },
    });
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const policies = s.template.findResources('AWS::S3::BucketPolicy');
    const denies = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { Bucket: unknown; PolicyDocument: { Statement: Record<string, unknown>[] } } })
          .Properties.PolicyDocument.Statement,
    );
    expect(denies).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });
});

describe('Project knowledge grants', () => {
  const KEYWORDS = () => `<${keywordBucket}.Arn>/knowledge/*`;

  it('lets the Product Owner search: read the indexes and keyword objects, embed with Titan V2 only', () => {
    expect(knowledgeGrants(s.stack.updateQueue.consumer)).toEqual({
      [INDEXES]: [
        's3vectors:GetIndex',
        's3vectors:GetVectors',
        's3vectors:ListTagsForResource',
        's3vectors:QueryVectors',
      ],
      [KEYWORDS()]: ['s3:GetObject'],
      TITAN: ['bedrock:InvokeModel'],
    });
  });

  it.each([
    ['the indexing step', () => s.stack.engineering.steps['index-knowledge']],
    ['the repository sync', () => s.stack.jobs.functions['repository-sync']],
  ])('lets %s index: create, put and delete vectors in our indexes, write the keyword objects', (_n, fn) => {
    expect(knowledgeGrants(fn())).toEqual({
      [INDEXES]: [
        's3vectors:CreateIndex',
        's3vectors:DeleteVectors',
        's3vectors:GetIndex',
        's3vectors:GetVectors',
        's3vectors:ListTagsForResource',
        's3vectors:PutVectors',
        's3vectors:QueryVectors',
        's3vectors:TagResource',
      ],
      [KEYWORDS()]: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      TITAN: ['bedrock:InvokeModel'],
    });
  });

  it('gives the analyst and the workers broker search only, and no other step anything', () => {
    const { steps } = s.stack.engineering;
    expect(Object.keys(knowledgeGrants(steps.analyst)).sort()).toEqual([INDEXES, KEYWORDS(), 'TITAN'].sort());
    expect(knowledgeGrants(steps['job-context'])[INDEXES]).not.toContain('s3vectors:PutVectors');
    for (const name of ['notify-owner', 'architect', 'record-attempt', 'escalate', 'check-budget'] as const) {
      expect(knowledgeGrants(steps[name]), name).toEqual({});
    }
  });

  it('sets the knowledge environment with the grant', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: "Engineering pipeline: indexes the project's knowledge at the built commit",
      Timeout: 280,
      Environment: {
        Variables: {
          KNOWLEDGE_DRIVER: 'aws',
          KNOWLEDGE_VECTOR_BUCKET: 'codegenorchestrator-knowledge',
          KNOWLEDGE_BUCKET: { Ref: keywordBucket },
          KNOWLEDGE_PREFIX: 'knowledge/',
        },
      },
    });
  });

  it('gives the state machine the indexing function for its IndexKnowledgeFunction', () => {
    const fnId = s.logicalId(s.stack.engineering.steps['index-knowledge'].fn);
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: { IndexKnowledgeFunction: { 'Fn::GetAtt': [fnId, 'Arn'] } },
    });
  });
});
