import { createLogger, type Logger } from '../../src/server/log.js';

/** A JSON logger whose lines land in `lines` (parsed), for tests that read the service's log. */
export function memoryLogger(lines: Array<Record<string, unknown>> = []): Logger {
  return createLogger({
    format: 'json',
    quiet: false,
    write: (line) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
}
