// The listeners of a running server: DNS on every configured address, the HTTP API and the redirect tier, each
// request behind the boundary that answers an error instead of throwing.
import {
  type ApiContext,
  apiHandler,
  type HttpListener,
  type HttpOptions,
  jsonError,
  listenHttp,
} from '../api/index.ts';
import type { ListenAddress, Settings } from '../config/index.ts';
import { errorStack, parseCidr } from '../core/index.ts';
import { redirectHandler } from '../redirect/index.ts';
import type { Snapshot } from '../resolve/index.ts';
import { type DnsHandler, type DnsListener, listenDns } from '../server/index.ts';
import type { LimitedLog, Logger } from './log.ts';
import { redirectChooser } from './redirect.ts';

/** Below this, a pause of a few milliseconds under load overflows the UDP socket (see the dns listener). */
const MIN_UDP_RECEIVE_BUFFER = 1024 * 1024;

type DnsSettings = Pick<
  Settings,
  'dnsListen' | 'tcpIdleTimeoutMs' | 'tcpMaxConnections' | 'tcpMaxPerClient'
>;

/**
 * A DNS listener on every address of `dnsListen`, each logged (with a UDP receive buffer too small to ride out a
 * pause); if one cannot be opened, those already open are closed and the error thrown.
 */
export async function listenAll(
  settings: DnsSettings,
  handle: DnsHandler,
  log: Logger,
): Promise<DnsListener[]> {
  const { tcpIdleTimeoutMs, tcpMaxConnections, tcpMaxPerClient } = settings;
  const dns: DnsListener[] = [];
  try {
    for (const address of settings.dnsListen) {
      const limits = { tcpIdleTimeoutMs, tcpMaxConnections, tcpMaxPerClient };
      const listener = await listenDns({ ...address, ...limits }, handle);
      dns.push(listener);
      log.info(`dns listening on ${formatAddress(listener)} (udp, tcp)`);
      if (listener.udpReceiveBuffer < MIN_UDP_RECEIVE_BUFFER)
        log.warn(
          `the UDP receive buffer on ${formatAddress(listener)} is ${listener.udpReceiveBuffer} bytes: ` +
            'queries arriving during a pause may be dropped (raise net.core.rmem_max to 4194304)',
        );
    }
    return dns;
  } catch (e) {
    await Promise.all(dns.map((l) => l.close()));
    throw e;
  }
}

/** The HTTP API; off loopback only with a token. */
export async function listenApi(
  address: ListenAddress,
  settings: Pick<Settings, 'apiToken' | 'apiMaxBodyBytes'>,
  ctx: ApiContext,
  limited: LimitedLog,
): Promise<HttpListener> {
  if (!settings.apiToken && !isLoopback(address.host))
    throw new Error(
      `the API on ${formatAddress(address)} is not loopback: set api_token (or GSLB_API_TOKEN) first`,
    );
  const api = await listenHttp(address.host, address.port, apiHandler(ctx), {
    maxBodyBytes: settings.apiMaxBodyBytes,
    errorBody: jsonError,
    onError: requestFailed(limited, 'API'),
  });
  limited.log.info(
    `api listening on ${formatAddress(api)}${settings.apiToken ? '' : ' (read-only: no api_token)'}`,
  );
  return api;
}

/** The redirect tier (HTTP 302), deciding from the same snapshot as DNS. */
export async function listenRedirect(
  address: ListenAddress,
  trustedProxyText: readonly string[],
  snapshot: () => Snapshot,
  limited: LimitedLog,
): Promise<HttpListener> {
  // Entries were checked as CIDRs when the config was read.
  const trustedProxies = trustedProxyText
    .map((t) => parseCidr(t))
    .flatMap((c) => (c.ok ? [c.value] : []));
  const handler = redirectHandler({ choose: redirectChooser(snapshot), trustedProxies });
  const redirect = await listenHttp(address.host, address.port, handler, {
    maxBodyBytes: 0,
    errorBody: (_status, _code, message) => ({
      contentType: 'text/plain; charset=utf-8',
      text: `${message}\n`,
    }),
    onError: requestFailed(limited, 'redirect'),
  });
  limited.log.info(`redirect tier listening on ${formatAddress(redirect)}`);
  return redirect;
}

/** A request our code failed on (a bug): logged with its stack, a few lines a minute per source prefix. */
function requestFailed(limited: LimitedLog, listener: string): HttpOptions['onError'] {
  return (e, req) =>
    limited.write(
      'error',
      `${listener} request failed`,
      req.socket.remoteAddress ?? '',
      `${listener} ${req.method} ${(req.url ?? '').slice(0, 200)}: ${errorStack(e)}`,
    );
}

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.');
}

export function formatAddress(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
