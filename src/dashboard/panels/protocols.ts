import type { Row } from '../reader.js';
import type { Scope } from '../scope.js';
import { top } from './talkers.js';

/** Sources by a derived flag (rollups.ts: `half_open` is SYN without ACK, `reset` any RST). */
const flagged = (flag: 'half_open' | 'reset') => ({
  conditions: [flag],
  needs: ['srcaddr', 'tcp_flags', 'protocol'],
  reads: ['srcaddr', flag],
});

export async function protocols(scope: Scope): Promise<Row> {
  const [mix, flags, halfOpen, resets] = await Promise.all([
    top(scope, ['protocol'], 'bytes'),
    top(scope, ['tcp_flags'], 'records', { conditions: ['protocol = 6'], needs: ['tcp_flags', 'protocol'] }),
    top(scope, ['srcaddr'], 'records', flagged('half_open')),
    top(scope, ['srcaddr'], 'records', flagged('reset')),
  ]);
  return { mix, flags, halfOpen, resets };
}
