// Runs `flowlens parse <file>` (argv[2]) in this process and, as the process exits (work left
// running in the background counts too), prints its exit status and peak memory as the last
// stdout line: a decompression bomb's memory is measured in a process of its own.
import { writeSync } from 'node:fs';
import { main } from '../../src/cli/main.js';

const status = await main(['parse', process.argv[2]!, '--quiet']);
process.on('exit', () => {
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  writeSync(1, `${JSON.stringify({ status, maxRssMiB })}\n`);
});
