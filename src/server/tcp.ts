// DNS over TCP (RFC 1035 §4.2.2 framing, RFC 7766): pipelined queries answered in order, and a connection table
// no peer can fill: a deadline for each message, room made by closing the idlest, a cap per source, backpressure.
import net from 'node:net';
import type { DnsHandler } from './dns-listener.ts';

export interface TcpLimits {
  /** A connection with no answered message for this long is closed, whatever it trickles (RFC 7766 §6.2.3). */
  readonly idleTimeoutMs: number;
  /** Connections in all; when full, the idlest makes room for a newcomer. */
  readonly maxConnections: number;
  /** Connections per source address; a source at its cap gives up its own idlest one. */
  readonly maxPerClient: number;
}

/** Replies a connection may have waiting to be sent before it is read no more (a client that does not read). */
const MAX_UNSENT_BYTES = 16 * 1024;
/** Answers a connection may have outstanding (late replies: updates passed to the primary). */
const MAX_IN_FLIGHT = 16;

interface Connection {
  readonly socket: net.Socket;
  readonly source: string;
  /** When the connection opened or last delivered a message that was answered: its deadline runs from here. */
  lastMessageAt: number;
  /** Messages taken whose replies have not been written yet. */
  inFlight: number;
}

/** Every open connection, oldest first, and by source; the one place connections are admitted and closed. */
export class ConnectionTable {
  private readonly all = new Set<Connection>();
  private readonly bySource = new Map<string, Set<Connection>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly limits: TcpLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(
      () => this.sweep(),
      Math.max(50, Math.min(1000, limits.idleTimeoutMs / 4)),
    );
    this.sweeper.unref();
  }

  get size(): number {
    return this.all.size;
  }

  /** A new connection, after room was made for it; undefined (and the socket closed) when there was none. */
  admit(socket: net.Socket): Connection | undefined {
    const source = socket.remoteAddress ?? '';
    const mine = this.bySource.get(source);
    if (mine && mine.size >= this.limits.maxPerClient && !this.closeIdlest(mine))
      return void socket.destroy();
    if (this.all.size >= this.limits.maxConnections && !this.closeIdlest(this.all))
      return void socket.destroy();
    const conn: Connection = { socket, source, lastMessageAt: this.now(), inFlight: 0 };
    this.all.add(conn);
    if (mine) mine.add(conn);
    else this.bySource.set(source, new Set([conn]));
    socket.once('close', () => this.forget(conn));
    return conn;
  }

  answered(conn: Connection): void {
    conn.lastMessageAt = this.now();
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    for (const conn of this.all) conn.socket.destroy();
  }

  /** Closes the connection of `among` that has waited longest for a message and has no answer outstanding. */
  private closeIdlest(among: Set<Connection>): boolean {
    let idlest: Connection | undefined;
    for (const c of among)
      if (c.inFlight === 0 && (!idlest || c.lastMessageAt < idlest.lastMessageAt)) idlest = c;
    if (!idlest) return false;
    idlest.socket.destroy();
    this.forget(idlest);
    return true;
  }

  private sweep(): void {
    const cutoff = this.now() - this.limits.idleTimeoutMs;
    for (const c of this.all) if (c.inFlight === 0 && c.lastMessageAt < cutoff) c.socket.destroy();
  }

  private forget(conn: Connection): void {
    this.all.delete(conn);
    const mine = this.bySource.get(conn.source);
    mine?.delete(conn);
    if (mine?.size === 0) this.bySource.delete(conn.source);
  }
}

/** Serves one admitted connection: frames in, replies out in query order, reading paused while replies back up. */
export function serveConnection(
  conn: Connection,
  table: ConnectionTable,
  handle: DnsHandler,
): void {
  const { socket } = conn;
  const input = new FrameReader();
  // Replies leave in query order: once one is late (a promise), the ones after it wait for it.
  let late: Promise<unknown> | undefined;
  let waiting = false; // paused until the replies written so far drain
  const send = (reply: Buffer | undefined): void => {
    if (!reply || socket.destroyed) return;
    const frame = Buffer.allocUnsafe(2 + reply.length);
    frame.writeUInt16BE(reply.length, 0);
    frame.set(reply, 2);
    socket.write(frame);
    table.answered(conn);
  };
  const work = (): void => {
    while (
      !socket.destroyed &&
      socket.writableLength <= MAX_UNSENT_BYTES &&
      conn.inFlight < MAX_IN_FLIGHT
    ) {
      const message = input.next();
      if (!message) return;
      const reply = handle(message, { transport: 'tcp', remoteAddress: conn.source });
      if (!(reply instanceof Promise) && !late) {
        send(reply);
        continue;
      }
      conn.inFlight++;
      const current: Promise<unknown> = (late ? late.then(() => reply) : Promise.resolve(reply))
        .then(send, () => undefined)
        .finally(() => {
          conn.inFlight--;
          if (late === current) late = undefined;
          resume();
        });
      late = current;
    }
    if (!waiting && !socket.destroyed) {
      waiting = true;
      socket.pause();
      if (socket.writableLength > MAX_UNSENT_BYTES) socket.once('drain', resume);
    }
  };
  const resume = (): void => {
    if (!waiting || socket.destroyed || socket.writableLength > MAX_UNSENT_BYTES) return;
    waiting = false;
    socket.resume();
    work();
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    input.push(chunk);
    work();
  });
}

/**
 * Two-byte length-prefixed frames from chunks as they arrive. Chunks are kept as they are until a whole frame is
 * there, so a peer that sends a frame a byte at a time costs one copy of it, not one per byte.
 */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next whole message, or undefined until more bytes arrive. */
  next(): Buffer | undefined {
    if (this.buffered < 2) return undefined;
    const first = this.chunks[0]!;
    const length =
      first.length >= 2 ? first.readUInt16BE(0) : (first[0]! << 8) | this.chunks[1]![0]!;
    if (this.buffered < 2 + length) return undefined;
    const frame = this.take(2 + length);
    return frame.subarray(2);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      this.chunks[0] = first.subarray(n);
      if (this.chunks[0].length === 0) this.chunks.shift();
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - filled);
      out.set(c.subarray(0, part), filled);
      filled += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    this.buffered -= n;
    return out;
  }
}

export function listenTcp(
  options: { host: string; port: number } & TcpLimits,
  handle: DnsHandler,
): Promise<{ server: net.Server; table: ConnectionTable }> {
  const table = new ConnectionTable(options);
  const server = net.createServer({ noDelay: true }, (socket) => {
    const conn = table.admit(socket);
    if (conn) serveConnection(conn, table, handle);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { port: options.port, host: options.host, ipv6Only: net.isIPv6(options.host), backlog: 1024 },
      () => {
        server.off('error', reject);
        server.on('error', () => undefined); // accept errors (EMFILE) pass; the next connection is tried again
        resolve({ server, table });
      },
    );
  });
}
