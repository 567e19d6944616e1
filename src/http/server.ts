// node:http, no framework: three read-only routes for probes and scraping.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import type { Redactor } from '../redact.ts';
import type { Api } from './api.ts';

export interface HttpViews {
  /** Liveness body: per-camera state and store status. */
  health(): unknown;
  /** Readiness: empty list means ready, otherwise why not. */
  notReadyReasons(): string[];
}

export class HttpServer {
  #server: Server;
  #registry: Registry;
  #views: HttpViews;
  #redactor: Redactor;
  #log: Logger;
  #api: Api | undefined;

  constructor(deps: { registry: Registry; views: HttpViews; redactor: Redactor; log: Logger; api?: Api }) {
    this.#api = deps.api;
    this.#registry = deps.registry;
    this.#views = deps.views;
    this.#redactor = deps.redactor;
    this.#log = deps.log;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err) => {
        this.#log.error({ err, url: req.url }, 'http handler failed');
        if (!res.headersSent) this.#json(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    this.#server.keepAliveTimeout = 5000;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      // `//` or `//[` parse as a URL with an empty or broken host: the client's mistake, not ours.
      return this.#json(res, 400, { error: 'the request path is not a valid URL path; it must start with a single /', field: 'path' });
    }
    const path = url.pathname;
    if (path === '/api' || path.startsWith('/api/')) {
      // Not scrubbed: presigned URLs carry a signature by design, handed to an authenticated client.
      if (this.#api) return this.#api.handle(req, res, url, (status, body) => this.#json(res, status, body, false));
      return this.#json(res, 404, { error: 'the /api routes are off: set API_TOKEN to turn them on' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.#json(res, 405, { error: `method ${req.method} not allowed` });
    }
    switch (path) {
      case '/health':
        return this.#json(res, 200, this.#views.health());
      case '/ready': {
        const reasons = this.#views.notReadyReasons();
        return this.#json(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
      }
      case '/metrics': {
        const body = this.#redactor.scrub(await this.#registry.metrics());
        res.writeHead(200, { 'Content-Type': this.#registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      default:
        return this.#json(res, 404, { error: `no route ${path}; try /health, /ready or /metrics` });
    }
  }

  #json(res: ServerResponse, status: number, body: unknown, scrub = true): void {
    const text = scrub ? this.#redactor.scrub(JSON.stringify(body)) : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(res.req.method === 'HEAD' ? undefined : text);
  }
}
