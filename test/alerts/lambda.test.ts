import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../../src/alerts/types.js';
import { createHandler } from '../../src/lambda/handler.js';
import { cwlPayload } from '../aws/helpers.js';
import { TestHttpServer } from '../receivers/http-server.js';

const T = 1714521600;
const LINES = [
  `2 123456789012 eni-0a1b2c3d4e5f60000 185.220.101.33 10.0.0.2 50000 22 6 10 840 ${T} ${T + 60} ACCEPT OK`,
  `2 123456789012 eni-0a1b2c3d4e5f60000 10.0.0.2 8.8.8.8 40000 53 17 1 70 ${T} ${T + 60} ACCEPT OK`,
  `2 123456789012 eni-0a1b2c3d4e5f60000 10.0.0.2 10.0.1.5 40001 443 6 10 840 ${T} ${T + 60} ACCEPT OK`,
];

describe('alerts in the Lambda handler', () => {
  it('evaluates the rules over each invocation and delivers before it returns', async () => {
    const hook = await new TestHttpServer(() => ({ kind: 'ok' })).start();
    try {
      const handler = createHandler(
        { FLOWLENS_SINKS: 'alerts', FLOWLENS_ALERTS_WEBHOOK: hook.url, FLOWLENS_CONTINUATION: 'off' },
        { log: () => undefined },
      );
      const result = (await handler({ awslogs: { data: cwlPayload(LINES).toString('base64') } }, {})) as {
        records: number;
      };
      assert.equal(result.records, 3);
      const alerts = hook.requests.map((r) => JSON.parse(r.body.toString()) as Alert);
      assert.deepEqual(alerts.map((a) => `${a.rule} ${a.key}`).sort(), [
        'admin-port-exposed 10.0.0.2|22',
        'dns-unapproved-resolver 10.0.0.2|8.8.8.8',
      ]);
      // the sample uid is the CloudWatch event id's, as the store would give it
      assert.match(alerts[0]!.sample_uids[0]!, /^[0-9a-f]{32}$/);
      // a second invocation is evaluated on its own
      await handler({ awslogs: { data: cwlPayload(LINES.slice(0, 1)).toString('base64') } }, {});
      assert.equal(hook.requests.length, 3);
    } finally {
      await hook.stop();
    }
  });
});
