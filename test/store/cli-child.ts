// The CLI, run from source in a process of its own (for tests that must put it somewhere
// special, such as a mount namespace with a small filesystem).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
