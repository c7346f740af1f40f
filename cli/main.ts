import { runCli } from './run.js';

// The entry of bin/peerconnect.js (compiled to dist/node/cli/main.js).
process.exitCode = await runCli(process.argv.slice(2));
