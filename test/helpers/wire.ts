// Raw DNS over UDP and TCP for tests that need bytes dig will not send.
import dgram from 'node:dgram';
import net from 'node:net';
import { type RData, type RR, typeCode } from '../../src/core/index.ts';
import { type Edns, encodeMessage, signMessage, type TsigKey } from '../../src/dns/index.ts';

export function buildQuery(
  name: string,
  type: string,
  options: { id?: number; edns?: Edns; rd?: boolean } = {},
): Buffer {
  return encodeMessage({
    id: options.id ?? 0x1234,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: options.rd ?? false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name, type: typeCode(type)!, class: 1 }],
    answer: [],
    authority: [],
    additional: [],
    edns: options.edns,
  });
}

/** Sends one datagram; resolves with the reply, or undefined when none comes within `timeoutMs`. */
export function udpExchange(
  port: number,
  payload: Buffer,
  timeoutMs = 1000,
  host = '127.0.0.1',
  source?: string,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (reply: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (msg) => finish(msg));
    if (source) socket.bind(0, source, () => socket.send(payload, port, host));
    else socket.send(payload, port, host);
  });
}

export function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/** Opens a TCP connection; `replies` collects whole DNS messages as they arrive. */
export function tcpConnect(
  port: number,
  host = '127.0.0.1',
  localAddress?: string,
): Promise<{ socket: net.Socket; replies: Buffer[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host, ...(localAddress ? { localAddress } : {}) });
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, replies, closed }));
    socket.once('error', reject);
  });
}

export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

/** An unsigned UPDATE adding one address to `zone` (a signed one: update/build.ts's buildAddressUpdate). */
export function buildUpdate(zone: string, id: number): Buffer {
  return encodeMessage({
    id: id & 0xffff,
    qr: false,
    opcode: 5,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name: zone, type: 6, class: 1 }],
    answer: [],
    authority: [
      { name: `x.${zone}`, type: 1, class: 1, ttl: 60, data: { type: 'A', address: '192.0.2.1' } },
    ],
    additional: [],
    edns: undefined,
  });
}

/** A signed UPDATE of `zone`: `updates` as RFC 2136 §2.5 records (class IN adds, NONE/ANY deletes). */
export function signedUpdate(
  zone: string,
  updates: RR[],
  key: TsigKey,
  options: { id?: number; timeSigned?: number; fudge?: number } = {},
): Buffer {
  const message = encodeMessage({
    id: options.id ?? 0x4242,
    qr: false,
    opcode: 5,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name: zone, type: 6, class: 1 }],
    answer: [],
    authority: updates,
    additional: [],
    edns: undefined,
  });
  return signMessage(message, key, {
    timeSigned: options.timeSigned ?? Math.floor(Date.now() / 1000),
    ...(options.fudge ? { fudge: options.fudge } : {}),
  });
}

/** Records of zone-file text ("a.example. 60 IN A 192.0.2.1"), for updates; A, AAAA, TXT and MX only. */
export function rrOf(text: string, cls = 1): RR {
  const [name, ttl, , type, ...rest] = text.split(/\s+/) as [
    string,
    string,
    string,
    string,
    ...string[],
  ];
  const data: RData =
    type === 'A'
      ? { type: 'A', address: rest[0]! }
      : type === 'AAAA'
        ? { type: 'AAAA', address: rest[0]! }
        : type === 'MX'
          ? { type: 'MX', preference: Number(rest[0]), exchange: rest[1]! }
          : { type: 'TXT', strings: [rest.join(' ').replace(/^"|"$/g, '')] };
  return { name, type: typeCode(type)!, class: cls, ttl: Number(ttl), data };
}

/**
 * Sends `count` queries over UDP from one socket, keeping at most `window` unanswered (a reply or 200 ms frees a
 * place), and stops after `count` or `timeoutMs`. Resolves with how many were answered.
 */
export function blast(
  port: number,
  count: number,
  make: (i: number) => Buffer,
  options: { window?: number; timeoutMs?: number; source?: string } = {},
): Promise<{ sent: number; answered: number }> {
  const window = options.window ?? 256;
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    let sent = 0;
    let answered = 0;
    let outstanding = 0;
    const deadline = setTimeout(() => finish(), options.timeoutMs ?? 60_000);
    const finish = (): void => {
      clearTimeout(deadline);
      clearInterval(retry);
      socket.close();
      resolve({ sent, answered });
    };
    const pump = (): void => {
      while (outstanding < window && sent < count) {
        outstanding++;
        socket.send(make(sent++), port, '127.0.0.1');
      }
      if (sent >= count && outstanding <= 0) finish();
    };
    // When nothing came back for a while, what is outstanding was lost (or dropped on purpose): the loop goes on.
    let seen = 0;
    const retry = setInterval(() => {
      if (answered === seen) outstanding = 0;
      seen = answered;
      pump();
    }, 200);
    socket.on('message', () => {
      answered++;
      outstanding--;
      pump();
    });
    socket.bind(0, options.source ?? '127.0.0.1', pump);
  });
}
