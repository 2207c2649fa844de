import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { KEY_ATTRIBUTES, TABLES } from '../../../lambdas/config/tables.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';

/**
 * One DynamoDB table per entry of TABLES (lambdas/config/tables.ts), all shaped alike: string
 * `pk` + `sk`, TTL on `expiresAt`, on-demand, point-in-time recovery, encrypted with the
 * AWS-managed key. Tables hold user data, so they outlive the stack (RETAIN) and refuse deletion
 * (deletion protection: turn it off by hand before deleting one). Physical names are
 * generated; the Lambdas learn them from the `*_TABLE` environment variables.
 */
export class OrchestratorTables extends Construct {
  private readonly tables = new Map<TableName, Table>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const spec of TABLES) {
      const table = new Table(this, spec.name, {
        partitionKey: { name: KEY_ATTRIBUTES.partition, type: AttributeType.STRING },
        sortKey: { name: KEY_ATTRIBUTES.sort, type: AttributeType.STRING },
        timeToLiveAttribute: KEY_ATTRIBUTES.ttl,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
        // A retained table still goes if someone deletes it by hand or a template drops it.
        deletionProtection: true,
      });
      this.tables.set(spec.name, table);
    }
  }

  get(name: TableName): Table {
    const table = this.tables.get(name);
    if (!table) throw new Error(`No table ${name}: add it to TABLES in lambdas/config/tables.ts`);
    return table;
  }
}
