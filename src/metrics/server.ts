import { createServer, type Server } from 'node:http';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  port: number;
  /** METRICS_HOST: loopback unless the operator chose otherwise. */
  host: string;
  /** The exposition text: this process's registry, or the cluster's summed by the primary. */
  metrics: () => Promise<string>;
  contentType: string;
}

/**
 * GET /metrics on its own port, apart from the site's: Prometheus scrapes it there, and readers
 * who reach the site never see it. Anything else is a 404.
 */
export async function startMetricsServer({
  port,
  host,
  metrics,
  contentType,
}: MetricsServerOptions): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET /metrics here\n');
      return;
    }
    metrics().then(
      (text) =>
        res
          .writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
          .end(req.method === 'HEAD' ? undefined : text),
      (error: unknown) =>
        res
          .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
          .end(`could not collect the metrics: ${(error as Error).message}\n`),
    );
  });
  server.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  return Object.assign(server, { port: typeof address === 'object' && address !== null ? address.port : port });
}
