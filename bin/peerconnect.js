#!/usr/bin/env node
// The CLI is compiled by `npm run build:node`; this shim keeps the bin path stable.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/node/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('peerconnect: not built yet; run `npm run build` first.');
  process.exit(1);
}
await import(entry.href);
