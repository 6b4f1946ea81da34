import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics served at /stratus/metrics. */
export class Metrics {
  readonly registry = new Registry();
  private requests = new Counter({
    name: 'stratus_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'code'],
    registers: [this.registry],
  });
  private latency = new Histogram({
    name: 'stratus_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['route', 'method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly taskLatency = new Histogram({
    name: 'stratus_task_duration_seconds',
    help: 'Task run time by kind and result',
    labelNames: ['kind', 'result'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'stratus_task_queue_depth',
    help: 'Open (queued or leased) tasks',
    registers: [this.registry],
  });
  readonly heartbeats = new Counter({
    name: 'stratus_agent_heartbeats_total',
    help: 'Heartbeats written by in-process agents',
    labelNames: ['host'],
    registers: [this.registry],
  });
  readonly orphansReaped = new Counter({
    name: 'stratus_agent_orphans_reaped_total',
    help: 'Guests destroyed because their server was deleted while the node was down',
    labelNames: ['host'],
    registers: [this.registry],
  });

  readonly powerSynced = new Counter({
    name: 'stratus_agent_power_state_syncs_total',
    help: 'Servers marked SHUTOFF because their guest was not running',
    labelNames: ['host'],
    registers: [this.registry],
  });

  /**
   * Where /stratus/metrics reads its text: this registry, or (an API worker under
   * `serve --workers N`) the primary's aggregate of every process.
   */
  source: () => Promise<string> = () => this.registry.metrics();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  text(): Promise<string> {
    return this.source();
  }

  observeRequest(route: string, method: string, code: number, ms: number): void {
    this.requests.inc({ route, method, code: String(code) });
    this.latency.observe({ route, method }, ms / 1000);
  }
}
