import type { Outcome } from '../../delivery/queue.js';

/** Sends one encoded ExportLogsServiceRequest; resolves with what the server acknowledged. */
export interface OtlpTransport {
  /**
   * Turns the encoder's body (a view of a reused buffer) into the bytes to send, which must
   * stay valid across retries: compressed, or copied when the transport keeps a reference.
   */
  prepare(body: Uint8Array): Promise<Uint8Array>;
  send(body: Uint8Array, records: number): Promise<Outcome>;
  close(): void;
}
