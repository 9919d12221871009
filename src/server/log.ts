/**
 * Levels of the service's log lines; `--quiet` drops `info` only. `notice` is for the few lines
 * a user always wants (the address listened on, the final totals).
 */
export type LogLevel = 'info' | 'notice' | 'warn' | 'error';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  notice(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** `json`: one JSON object per line; `text`: a time, the level and the message. */
  readonly format: 'json' | 'text';
  readonly quiet: boolean;
  /** Where lines go (default: stderr). */
  write?(line: string): void;
}

/** The service's logger: one line per event, with a level. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
    if (level === 'info' && options.quiet) return;
    const time = new Date().toISOString();
    if (options.format === 'json') {
      write(`${JSON.stringify({ time, level, message, ...fields })}\n`);
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${time} ${level} ${message}${extra ? ` ${extra}` : ''}\n`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    notice: (m, f) => emit('notice', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
