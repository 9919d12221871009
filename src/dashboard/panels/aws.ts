import type { Row } from '../reader.js';
import type { Scope } from '../scope.js';
import { top } from './talkers.js';

export async function aws(scope: Scope): Promise<Row> {
  const [srcServices, dstServices, directions, paths, subnets, zones, natted] = await Promise.all([
    top(scope, ['pkt_src_aws_service'], 'bytes'),
    top(scope, ['pkt_dst_aws_service'], 'bytes'),
    top(scope, ['flow_direction'], 'bytes'),
    top(scope, ['traffic_path'], 'bytes'),
    top(scope, ['subnet_id', 'vpc_id', 'az_id'], 'bytes', { needs: ['subnet_id'], notNull: ['subnet_id'] }),
    top(scope, ['az_id'], 'bytes'),
    top(scope, ['interface_id'], 'bytes', {
      conditions: ['natted'],
      needs: ['interface_id', 'pkt_srcaddr', 'pkt_dstaddr'],
      reads: ['interface_id', 'natted'],
      notNull: ['interface_id'],
    }),
  ]);
  return { srcServices, dstServices, directions, paths, subnets, zones, natted };
}
