#!/usr/bin/env node
// The `orchestrator` CLI for a development install: runs scripts/cli/orchestrator.ts through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../scripts/cli/orchestrator.ts');
