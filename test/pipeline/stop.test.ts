import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FlowBatch } from '../../src/batch/flow-batch.js';
import { StopRequest, stoppable } from '../../src/pipeline/stop.js';
import { makeBatch } from '../sinks/helpers.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function* batches(n: number): AsyncGenerator<FlowBatch> {
  for (let i = 0; i < n; i++) yield makeBatch(4);
}

test('a stoppable run lets go of each batch once it is consumed', async () => {
  const stop = new AbortController();
  const seen: WeakRef<FlowBatch>[] = [];
  let alive = -1;
  for await (const batch of stoppable(batches(50), stop.signal)) {
    seen.push(new WeakRef(batch));
    if (seen.length < 50) continue;
    // still inside the run: a race against one pending stop promise kept every batch reachable
    await new Promise<void>((resolve) => setImmediate(resolve)); // WeakRefs hold for their job only
    collectGarbage();
    alive = seen.slice(0, 49).filter((r) => r.deref() !== undefined).length;
  }
  assert.equal(seen.length, 50);
  assert.ok(alive === 0, `${alive} of 49 consumed batches still reachable`);
});

test('stopping while the decoder waits for input ends the run at once', async () => {
  const stop = new AbortController();
  let release: () => void = () => undefined;
  async function* stalled(): AsyncGenerator<FlowBatch> {
    yield makeBatch(2);
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  }
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const batch of stoppable(stalled(), stop.signal)) {
        got.push(batch.length);
        setImmediate(() => stop.abort('interrupted by SIGINT'));
      }
    })(),
    (err: unknown) => err instanceof StopRequest && err.message === 'interrupted by SIGINT',
  );
  release();
  assert.deepEqual(got, [2]);
});
