import type { Row } from '../reader.js';
import type { Scope } from '../scope.js';
import { actionSeries } from './overview.js';
import { top } from './talkers.js';

const REJECT = ["action = 'REJECT'"];

export async function rejected(scope: Scope): Promise<Row> {
  const [series, sources, ports, interfaces, reasons] = await Promise.all([
    actionSeries(scope, REJECT),
    top(scope, ['srcaddr'], 'records', { conditions: REJECT, needs: ['srcaddr', 'action'] }),
    top(scope, ['dstport', 'protocol'], 'records', {
      conditions: REJECT,
      needs: ['dstport', 'action'],
      notNull: ['dstport'],
    }),
    top(scope, ['interface_id', 'vpc_id', 'subnet_id'], 'records', {
      conditions: REJECT,
      needs: ['interface_id', 'action'],
      notNull: ['interface_id'],
    }),
    top(scope, ['reject_reason'], 'records', { conditions: REJECT, needs: ['reject_reason', 'action'] }),
  ]);
  return { series, sources, ports, interfaces, reasons };
}
