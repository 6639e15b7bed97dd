// UDP and TCP listeners for one address: sockets and framing only; answers come from the handler.
import dgram from 'node:dgram';
import net from 'node:net';

export type Transport = 'udp' | 'tcp';
/** Queries are answered at once; a handler may answer later (a worker's UPDATE goes to the primary) with a promise. */
export type DnsHandler = (request: Buffer, ctx: { transport: Transport; remoteAddress: string }) => Buffer | undefined | Promise<Buffer | undefined>;

export interface ListenOptions {
  readonly host: string;
  readonly port: number; // 0: any free port, the same one for UDP and TCP
  /** Close a TCP connection with no complete query for this long (RFC 7766 §6.2.3). */
  readonly tcpIdleTimeoutMs: number;
  /** Refuse TCP connections beyond this many, so idle clients cannot exhaust the server. */
  readonly tcpMaxConnections: number;
}

export interface DnsListener {
  readonly host: string;
  readonly port: number;
  /** The UDP socket's receive buffer in bytes, as the kernel granted it. */
  readonly udpReceiveBuffer: number;
  close(): Promise<void>;
}

const MAX_UNSENT_BYTES = 256 * 1024; // stop reading from a TCP client that does not read its answers
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
      const tcp = await bindTcp({ ...options, port }, handle);
      return {
        host: options.host, port, udpReceiveBuffer: udp.getRecvBufferSize(),
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
  const socket = dgram.createSocket({ type: net.isIPv6(options.host) ? 'udp6' : 'udp4', ipv6Only: net.isIPv6(options.host), recvBufferSize: UDP_RECEIVE_BUFFER });
  socket.on('message', (msg, rinfo) => {
    const reply = handle(msg, { transport: 'udp', remoteAddress: rinfo.address });
    if (reply instanceof Promise) {
      reply.then((r) => r && socket.send(r, rinfo.port, rinfo.address), () => undefined);
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

interface TcpListener {
  readonly server: net.Server;
  readonly sockets: Set<net.Socket>;
}

function bindTcp(options: ListenOptions, handle: DnsHandler): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, options, handle);
  });
  server.maxConnections = options.tcpMaxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host, ipv6Only: net.isIPv6(options.host) }, () => {
      server.off('error', reject);
      resolve({ server, sockets });
    });
  });
}

/** RFC 1035 §4.2.2 framing (2-byte length), queries pipelined and answered in order (RFC 7766 §6.2.1.1). */
function serveConnection(socket: net.Socket, options: ListenOptions, handle: DnsHandler): void {
  const remoteAddress = socket.remoteAddress ?? '';
  let pending = Buffer.alloc(0);
  // Replies leave in query order: once one is late (a promise), the ones after it wait for it.
  let late: Promise<unknown> | undefined;
  const send = (reply: Buffer | undefined): void => {
    if (!reply || socket.destroyed) return;
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    reply.copy(frame, 2);
    socket.write(frame);
  };
  socket.setTimeout(options.tcpIdleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const length = pending.readUInt16BE(0);
      if (pending.length < 2 + length) break;
      const reply = handle(pending.subarray(2, 2 + length), { transport: 'tcp', remoteAddress });
      pending = pending.subarray(2 + length);
      if (reply instanceof Promise || late) {
        const previous = late;
        const current: Promise<unknown> = (previous ? previous.then(() => reply) : Promise.resolve(reply)).then(send, () => undefined);
        late = current;
        void current.then(() => {
          if (late === current) late = undefined;
        });
      } else {
        send(reply);
      }
    }
    if (socket.writableLength > MAX_UNSENT_BYTES) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

function closeTcp(tcp: TcpListener): Promise<void> {
  return new Promise((resolve) => {
    tcp.server.close(() => resolve());
    for (const socket of tcp.sockets) socket.destroy();
  });
}
