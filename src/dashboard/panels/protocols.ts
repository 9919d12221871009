import type { Row } from '../reader.js';
import type { Scope } from '../scope.js';
import { top } from './talkers.js';

/** SYN without ACK: a connection attempt never answered (scans, half-open floods). */
const HALF_OPEN = 'protocol = 6 AND (tcp_flags & 2) <> 0 AND (tcp_flags & 16) = 0';
/** Any RST: refused or torn-down connections. */
const RESET = 'protocol = 6 AND (tcp_flags & 4) <> 0';

export async function protocols(scope: Scope): Promise<Row> {
  const [mix, flags, halfOpen, resets] = await Promise.all([
    top(scope, ['protocol'], 'bytes'),
    top(scope, ['tcp_flags'], 'records', { conditions: ['protocol = 6'], needs: ['tcp_flags', 'protocol'] }),
    top(scope, ['srcaddr'], 'records', {
      conditions: [HALF_OPEN],
      needs: ['srcaddr', 'tcp_flags', 'protocol'],
    }),
    top(scope, ['srcaddr'], 'records', { conditions: [RESET], needs: ['srcaddr', 'tcp_flags', 'protocol'] }),
  ]);
  return { mix, flags, halfOpen, resets };
}
