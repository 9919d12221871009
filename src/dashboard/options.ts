import { ConfigError, type OptionSpec, type ResolvedOptions } from '../config/options.js';
import { isLoopback } from './auth.js';

/** The token option, shared by `flowlens dashboard` and `flowlens serve`. */
export const DASHBOARD_TOKEN_OPTION: OptionSpec = {
  name: 'dashboard-token',
  type: 'string',
  env: ['FLOWLENS_DASHBOARD_TOKEN'],
  description:
    'Token the dashboard API requires (Authorization: Bearer, or ?token= in the page URL); needed off 127.0.0.1',
  placeholder: 'token',
};

export interface DashboardAccess {
  readonly host: string;
  readonly token?: string;
}

/** The host and token, checked: a non-loopback address needs a token of at least 16 characters. */
export function parseDashboardAccess(options: ResolvedOptions, host: string): DashboardAccess {
  const token = options['dashboard-token'];
  if (typeof token === 'string') {
    if (token.length < 16)
      throw new ConfigError('--dashboard-token (FLOWLENS_DASHBOARD_TOKEN): use at least 16 characters');
    return { host, token };
  }
  if (!isLoopback(host))
    throw new ConfigError(
      `--host ${host}: the dashboard answers off this machine only with a token; set --dashboard-token or FLOWLENS_DASHBOARD_TOKEN, or listen on 127.0.0.1`,
    );
  return { host };
}
