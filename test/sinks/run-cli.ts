// Runs the CLI from source for the CLI tests (bin/flowlens.js runs the built copy).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
