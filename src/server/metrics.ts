import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunStats } from '../core/stats.js';
import type { HealthSnapshot } from '../dashboard/reader.js';
import type { Receipt, SharedPipeline } from '../pipeline/shared.js';
import type { ByteBudget } from './budget.js';

/**
 * The service's Prometheus metrics (`GET /metrics`, text format), kept in a registry of its own
 * so two servers in one process (tests) do not share counts. Names are listed in docs/serve.md.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly recordsDecoded = new Counter({
    name: 'flowlens_records_decoded_total',
    help: 'Records decoded from delivered and failed units',
    registers: [this.registry],
  });
  readonly recordsMalformed = new Counter({
    name: 'flowlens_records_malformed_total',
    help: 'Lines that could not be decoded',
    registers: [this.registry],
  });
  readonly recordsDelivered = new Counter({
    name: 'flowlens_records_delivered_total',
    help: 'Records a sink acknowledged, by sink',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly recordsFailed = new Counter({
    name: 'flowlens_records_failed_total',
    help: 'Records of units a sink did not acknowledge, by sink',
    labelNames: ['sink'],
    registers: [this.registry],
  });
  readonly units = new Counter({
    name: 'flowlens_units_total',
    help: 'Units (Firehose requests, SQS messages) through the pipeline, by kind and result',
    labelNames: ['kind', 'result'],
    registers: [this.registry],
  });
  readonly unitSeconds = new Histogram({
    name: 'flowlens_unit_duration_seconds',
    help: 'Time from a unit entering the pipeline to every sink acknowledging it',
    labelNames: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'flowlens_firehose_request_duration_seconds',
    help: 'Time to answer a Firehose request, by status',
    labelNames: ['status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly firehoseRequests = new Counter({
    name: 'flowlens_firehose_requests_total',
    help: 'Firehose requests answered, by HTTP status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly repeatedRequests = new Counter({
    name: 'flowlens_firehose_repeated_requests_total',
    help: 'Firehose requests answered from the outcome of the same request id and body',
    registers: [this.registry],
  });
  readonly lagSeconds = new Histogram({
    name: 'flowlens_delivery_lag_seconds',
    help: "Time from the newest record's end to its unit's acknowledgement, per unit",
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 21600, 86400],
    registers: [this.registry],
  });
  readonly sqsInFlight = new Gauge({
    name: 'flowlens_sqs_messages_in_flight',
    help: 'SQS messages received and not yet deleted or released',
    registers: [this.registry],
  });

  /** Gauges read when scraped: units in flight, body bytes held, sink health and retries. */
  watch(pipeline: SharedPipeline, budget: ByteBudget): void {
    new Gauge({
      name: 'flowlens_units_in_flight',
      help: 'Units being decoded or delivered now (the queue depth)',
      registers: [this.registry],
      collect() {
        this.set(pipeline.busy);
      },
    });
    new Gauge({
      name: 'flowlens_request_body_bytes',
      help: 'Bytes of Firehose request bodies held now',
      registers: [this.registry],
      collect() {
        this.set(budget.inUse);
      },
    });
    new Gauge({
      name: 'flowlens_sink_up',
      help: '1 while the sink delivers, 0 after a failure until a replacement delivers',
      labelNames: ['sink'],
      registers: [this.registry],
      collect() {
        for (const s of pipeline.sinkStates()) this.set({ sink: s.name }, s.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'flowlens_sink_retries',
      help: 'Requests a sink retried since start (counted by its delivery queue)',
      labelNames: ['sink'],
      registers: [this.registry],
      collect() {
        for (const s of pipeline.sinkStates()) this.set({ sink: s.name }, s.retries);
      },
    });
  }

  /** Counts a unit's receipt. */
  /** Per-sink totals for the dashboard's health panel (prom-client reads its values asynchronously). */
  private readonly sinkTotals = new Map<string, { delivered: number; failed: number }>();

  /** The dashboard's live health panel: the service's totals since it started. */
  health(stats: RunStats): HealthSnapshot {
    return {
      at: Date.now(),
      records: stats.records,
      malformed: stats.malformed,
      nodata: stats.nodata,
      skipdata: stats.skipdata,
      sinks: [...this.sinkTotals].map(([name, t]) => ({ name, ...t })),
    };
  }

  observe(kind: string, receipt: Receipt, seconds: number): void {
    this.recordsDecoded.inc(receipt.stats.records);
    this.recordsMalformed.inc(receipt.stats.malformed);
    for (const s of receipt.sinks) {
      if (s.delivered) this.recordsDelivered.inc({ sink: s.name }, s.delivered);
      if (s.failed) this.recordsFailed.inc({ sink: s.name }, s.failed);
      const total = this.sinkTotals.get(s.name) ?? { delivered: 0, failed: 0 };
      total.delivered += s.delivered;
      total.failed += s.failed;
      this.sinkTotals.set(s.name, total);
    }
    this.units.inc({ kind, result: receipt.ok ? 'delivered' : 'failed' });
    this.unitSeconds.observe({ kind }, seconds);
    if (receipt.ok && receipt.newestEnd !== undefined) {
      this.lagSeconds.observe(Math.max(0, Date.now() / 1000 - receipt.newestEnd));
    }
  }
}
