import type { GeneratorRun } from './run.js';

export const CLOUDWATCH_LOG_GROUP = '/aws/vpc/flowlogs';
export const CLOUDWATCH_FILTER = 'flowlens-flow-logs';

interface PendingStream {
  /** JSON text of each buffered log event. */
  events: string[];
}

/**
 * CloudWatch Logs subscription payloads, one decompressed DATA_MESSAGE JSON per line: one log
 * stream per ENI, each event one record line without header, timestamp = start in ms.
 * Events wait in a per-stream buffer of at most `eventsPerPayload` (memory: streams × that).
 */
export function* cloudwatchChunks(run: GeneratorRun): Generator<Buffer> {
  const { eventsPerPayload, cloudwatchControl, startTime } = run.settings;
  const truth = run.truth;
  const owner = run.topology.accounts[0]!;
  const pending = new Map<string, PendingStream>();
  let seq = 0;

  const payload = (stream: string, events: string[]): Buffer => {
    // events of a stream are delivered in time order; each event's JSON starts with its id,
    // whose first 13 digits are the timestamp, so sorting the texts sorts by time
    events.sort();
    truth.payloads++;
    truth.lines++;
    return Buffer.from(
      `{"messageType":"DATA_MESSAGE","owner":"${owner}","logGroup":"${CLOUDWATCH_LOG_GROUP}",` +
        `"logStream":"${stream}","subscriptionFilters":["${CLOUDWATCH_FILTER}"],"logEvents":[${events.join(',')}]}\n`,
      'utf8',
    );
  };

  if (cloudwatchControl) {
    truth.control++;
    truth.lines++;
    const control = {
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [
        {
          id: '',
          timestamp: startTime * 1000,
          message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.',
        },
      ],
    };
    yield Buffer.from(JSON.stringify(control) + '\n', 'utf8');
  }

  while (run.nextRecord()) {
    const rec = run.record;
    const message = run.currentLine();
    const ms = rec.start * 1000;
    seq++;
    // 56 decimal digits like CloudWatch's ids: the timestamp, then a run-wide sequence
    const id = String(ms).padStart(13, '0') + String(seq).padStart(43, '0');
    const event = `{"id":"${id}","timestamp":${ms},"message":${JSON.stringify(message)}}`;
    let p = pending.get(rec.stream);
    if (!p) {
      p = { events: [] };
      pending.set(rec.stream, p);
    }
    p.events.push(event);
    if (p.events.length >= eventsPerPayload) {
      const events = p.events;
      p.events = [];
      yield payload(rec.stream, events);
    }
  }
  run.counter.finish();
  for (const [stream, p] of pending) if (p.events.length > 0) yield payload(stream, p.events);
}
