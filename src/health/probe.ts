// One health probe: HTTP(S) GET with Host header and expected status range, or a TCP connect; always within
// a hard timeout.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface ProbeSpec {
  readonly protocol: 'HTTP' | 'HTTPS' | 'TCP';
  readonly address: string;
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly expect: readonly [number, number];
  readonly timeoutMs: number;
  readonly tlsVerify: boolean;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly detail: string;
}

/** One probe of `spec`, sent from `localAddress` when given (probe_source: the member's family only). */
export function probe(spec: ProbeSpec, localAddress?: string): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let cleanup: () => void = () => undefined;
    const finish = (ok: boolean, detail: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      resolve({ ok, latencyMs: Math.round((performance.now() - started) * 10) / 10, detail });
    };
    const timer = setTimeout(
      () => finish(false, `no answer within ${spec.timeoutMs} ms`),
      spec.timeoutMs,
    );
    if (spec.protocol === 'TCP') {
      const socket = net.connect({
        host: spec.address,
        port: spec.port,
        ...(localAddress ? { localAddress } : {}),
      });
      cleanup = () => socket.destroy();
      socket.once('connect', () => finish(true, 'connected'));
      socket.once('error', (e) => finish(false, e.message));
      return;
    }
    const request = (spec.protocol === 'HTTPS' ? https : http).request({
      host: spec.address,
      port: spec.port,
      path: spec.path,
      method: 'GET',
      agent: false,
      ...(localAddress ? { localAddress } : {}),
      headers: { Host: spec.host, 'User-Agent': 'gslb-health-check', Connection: 'close' },
      // The certificate names the service, not the member's address: verified only when asked (tls_verify).
      rejectUnauthorized: spec.tlsVerify,
      ...(net.isIP(spec.host) ? {} : { servername: spec.host }),
    });
    cleanup = () => request.destroy();
    request.once('response', (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      finish(status >= spec.expect[0] && status <= spec.expect[1], `HTTP ${status}`);
    });
    request.once('error', (e) => finish(false, e.message));
    request.end();
  });
}
