// The CDK app the CLI runs (cdk.json: "app": "npx tsx cdk/bin/app.ts").
import { buildApp } from '../lib/build-app.ts';

buildApp().app.synth();
