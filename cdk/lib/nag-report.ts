import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';

export interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/** Every `Validations.of(x).acknowledge(...)` in the tree, read back from construct metadata. */
export function listAcknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([qualifiedId, reason]) => ({
          path: construct.node.path,
          id: qualifiedId.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs?: unknown[] }[];
  }[];
}

/** Unacknowledged findings per rule, from the validation report CDK writes into the assembly. */
export function readFindings(assemblyDir: string): Map<string, number> {
  const findings = new Map<string, number>();
  const file = join(assemblyDir, VALIDATION_REPORT_FILE);
  if (!existsSync(file)) return findings;
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
  for (const plugin of report.pluginReports) {
    for (const violation of plugin.violations) {
      const key = `${plugin.pluginName}:${violation.ruleName}`;
      findings.set(key, (findings.get(key) ?? 0) + (violation.violatingConstructs?.length ?? 1));
    }
  }
  return findings;
}

function tally(ids: string[]): string {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, n]) => `${id.replace(/^AwsSolutions-/, '')} x${n}`)
    .join(', ');
}

/** The validation report's plugin for construct annotations (warnings such as an unpriced model). */
const ANNOTATIONS_PLUGIN = 'Construct Annotations:';

/** One line: how many findings are open and which rules were acknowledged where; then warnings. */
export function nagSummary(root: IConstruct, assemblyDir: string): string {
  const all = [...readFindings(assemblyDir)];
  const findings = all.filter(([key]) => !key.startsWith(ANNOTATIONS_PLUGIN));
  const warnings = all.filter(([key]) => key.startsWith(ANNOTATIONS_PLUGIN));
  const open = findings.reduce((sum, [, n]) => sum + n, 0);
  const acks = listAcknowledgements(root);
  const openPart =
    open === 0
      ? '0 unacknowledged findings'
      : `${open} UNACKNOWLEDGED (${findings.map(([k]) => k).join(', ')})`;
  const summary = `cdk-nag AwsSolutions: ${openPart}; ${acks.length} acknowledged (${tally(acks.map((a) => a.id))})`;
  if (warnings.length === 0) return summary;
  const names = warnings.map(([key, n]) => `${key.slice(ANNOTATIONS_PLUGIN.length)} x${n}`).join(', ');
  return `${summary}\nWarnings (see above): ${names}`;
}
