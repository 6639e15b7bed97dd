// UDP and TCP listeners for one address: sockets only; answers come from the handler (TCP framing in tcp.ts).
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import type { Transport } from '../core/index.ts';
import { type ConnectionTable, listenTcp } from './tcp.ts';

/** Queries are answered at once; a handler may answer later (a worker's UPDATE goes to the primary) with a promise. */
export type DnsHandler = (
  request: Buffer,
  ctx: { transport: Transport; remoteAddress: string },
) => Buffer | undefined | Promise<Buffer | undefined>;

export interface ListenOptions {
  readonly host: string;
  readonly port: number; // 0: any free port, the same one for UDP and TCP
  /** Close a TCP connection with no answered message for this long, whatever it trickles (RFC 7766 §6.2.3). */
  readonly tcpIdleTimeoutMs: number;
  /** TCP connections in all; when full, the idlest is closed to admit a newcomer. */
  readonly tcpMaxConnections: number;
  /** TCP connections per source address. */
  readonly tcpMaxPerClient: number;
}

export interface DnsListener {
  readonly host: string;
  readonly port: number;
  /** The UDP socket's receive buffer in bytes, as the kernel granted it. */
  readonly udpReceiveBuffer: number;
  close(): Promise<void>;
}

/**
 * Room for queries that arrive while the process is busy (a collection, a step of a reload): 4 MiB holds ~5,000
 * datagrams, 100 ms at 50,000 queries/s. The kernel caps it at net.core.rmem_max; `udpReceiveBuffer` says what it got.
 */
const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

export async function listenDns(options: ListenOptions, handle: DnsHandler): Promise<DnsListener> {
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(options, handle);
    const port = udp.address().port;
    try {
      const tcp = await listenTcp(
        {
          host: options.host,
          port,
          idleTimeoutMs: options.tcpIdleTimeoutMs,
          maxConnections: options.tcpMaxConnections,
          maxPerClient: options.tcpMaxPerClient,
        },
        handle,
      );
      return {
        host: options.host,
        port,
        udpReceiveBuffer: udp.getRecvBufferSize(),
        close: () => Promise.all([closeUdp(udp), closeTcp(tcp)]).then(() => undefined),
      };
    } catch (e) {
      await closeUdp(udp);
      // With port 0 the UDP port may be taken for TCP by someone else: try another.
      if (options.port !== 0 || attempt >= 5) throw e;
    }
  }
}

function bindUdp(options: ListenOptions, handle: DnsHandler): Promise<dgram.Socket> {
  // IPv6 sockets take IPv6 only, so "0.0.0.0:53" and "[::]:53" can both be listed.
  const socket = dgram.createSocket({
    type: net.isIPv6(options.host) ? 'udp6' : 'udp4',
    ipv6Only: net.isIPv6(options.host),
    recvBufferSize: UDP_RECEIVE_BUFFER,
    lookup: literalLookup,
  });
  socket.on('message', (msg, rinfo) => {
    const reply = handle(msg, { transport: 'udp', remoteAddress: rinfo.address });
    if (reply instanceof Promise) {
      reply.then(
        (r) => r && socket.send(r, rinfo.port, rinfo.address),
        () => undefined,
      );
    } else if (reply) {
      socket.send(reply, rinfo.port, rinfo.address);
    }
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined); // ICMP errors for unreachable clients are not ours to act on
      resolve(socket);
    });
  });
}

/**
 * Every reply goes to an address literal (the query's source), which dns.lookup would hand back on the next tick:
 * answering at once saves that tick and its closure per reply (+12 % for a fixed-answer server, bench/dgram-fixed.cjs).
 * A name (a bind address given as one) still goes to dns.lookup.
 */
function literalLookup(
  address: string,
  options: dns.LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = net.isIP(address);
  if (family !== 0) callback(null, address, family);
  else dns.lookup(address, options, callback);
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

function closeTcp(tcp: { server: net.Server; table: ConnectionTable }): Promise<void> {
  return new Promise((resolve) => {
    tcp.server.close(() => resolve());
    tcp.table.closeAll();
  });
}
