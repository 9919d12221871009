import type { FlowBatch } from '../batch/flow-batch.js';
import type { Sink, SinkCheckpoint, SinkResult } from '../core/types.js';
import type { HttpPoster } from '../delivery/http.js';
import type { Delivery } from '../delivery/queue.js';

/**
 * A sink that serializes records one by one into a size-bounded request body and POSTs it
 * through the shared Delivery queue (http, elasticsearch). Subclasses say how a record is
 * added and how a body is sent; the write/flush/close discipline lives here once.
 */
export abstract class BufferedPostSink implements Sink {
  abstract readonly name: string;
  protected abstract readonly delivery: Delivery;
  protected abstract readonly client: HttpPoster;

  /** Adds row i to the pending body; true when the body is full and must be sent. */
  protected abstract add(batch: FlowBatch, i: number): boolean;
  /** Sends the pending body, if any, through the delivery queue. */
  protected abstract flush(): Promise<void>;
  /** Sink-specific figures for the run summary. */
  protected abstract details(): Record<string, number | string>;
  /** Per-batch preparation before its rows are added. */
  protected startBatch(_batch: FlowBatch): void {}

  async write(batch: FlowBatch): Promise<void> {
    if (this.delivery.fatal) {
      this.delivery.abandon(batch.length);
      this.delivery.check();
    }
    this.startBatch(batch);
    for (let i = 0; i < batch.length; i++) {
      if (!this.add(batch, i)) continue;
      try {
        await this.flush();
      } catch (err) {
        // The rest of this batch will never be sent: count it as failed, not lost.
        this.delivery.abandon(batch.length - i - 1);
        throw err;
      }
    }
  }

  async endInput(): Promise<void> {
    await this.flush();
  }

  async checkpoint(): Promise<SinkCheckpoint> {
    await this.flush();
    return { settled: this.delivery.settled().then(() => this.delivery.result(this.details())) };
  }

  async close(): Promise<SinkResult> {
    try {
      await this.flush();
    } catch {
      // counted and reported by the delivery queue
    }
    await this.delivery.drain();
    this.client.close();
    return this.delivery.result(this.details());
  }
}
