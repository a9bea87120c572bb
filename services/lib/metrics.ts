import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process with the platform's own instruments. */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    rpcDuration: new Histogram({
      name: 'youfu_grpc_server_handling_seconds',
      help: 'gRPC server handling time by method and status code',
      labelNames: ['method', 'code'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'youfu_outbox_published_total',
      help: 'Outbox events published to Kafka',
      registers: [registry],
    }),
    outboxFailures: new Counter({
      name: 'youfu_outbox_publish_failures_total',
      help: 'Failed outbox publish attempts',
      registers: [registry],
    }),
    outboxLeader: new Gauge({
      name: 'youfu_outbox_relay_leader',
      help: '1 while this process holds the outbox relay leadership',
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'youfu_events_consumed_total',
      help: 'Events consumed, by consumer and outcome (applied, duplicate, dead_lettered)',
      labelNames: ['consumer', 'outcome'] as const,
      registers: [registry],
    }),
    consumerRetries: new Counter({
      name: 'youfu_consumer_retries_total',
      help: 'Transient failures retried by consumers',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Serves GET /metrics and GET /healthz (200 while `healthy()` holds, else 503) on host:port.
 * Resolves with the bound port and a close function.
 */
export async function serveMetrics(metrics: Metrics, host: string, port: number, healthy: () => Promise<boolean> = async () => true) {
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      healthy().then(
        (ok) => res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n'),
        () => res.writeHead(503).end(),
      );
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry
      .metrics()
      .then((body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body))
      .catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
