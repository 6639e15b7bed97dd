// Malformed and unusual requests, each with the reply it must get (STYLE §5). Used in-process and over UDP.
export interface CorpusCase {
  readonly name: string;
  readonly bytes: Buffer;
  /** 'drop', or the rcode the reply must carry. */
  readonly expect: 'drop' | number;
  /** The reply must echo the question. */
  readonly echoesQuestion?: boolean;
}

const FORMERR = 1;
const NOTIMP = 4;
const REFUSED = 5;
const BADVERS = 16;

function header(
  opts: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number } = {},
): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(opts.id ?? 0xbeef, 0);
  b.writeUInt16BE(opts.flags ?? 0, 2);
  b.writeUInt16BE(opts.qd ?? 1, 4);
  b.writeUInt16BE(opts.an ?? 0, 6);
  b.writeUInt16BE(opts.ns ?? 0, 8);
  b.writeUInt16BE(opts.ar ?? 0, 10);
  return b;
}

function name(text: string): Buffer {
  const parts = text
    .split('.')
    .filter(Boolean)
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

const u16 = (...v: number[]): Buffer => Buffer.from(v.flatMap((x) => [x >> 8, x & 0xff]));
const WWW = Buffer.concat([name('www.example.test'), u16(1, 1)]);

/** An OPT record: root owner, type 41, class = UDP size, TTL = ext-rcode/version/flags, then options. */
function opt(options: Buffer[] = [], version = 0, udp = 1232): Buffer {
  const data = Buffer.concat(options);
  return Buffer.concat([
    Buffer.from([0]),
    u16(41, udp),
    Buffer.from([0, version, 0, 0]),
    u16(data.length),
    data,
  ]);
}

function option(code: number, data: number[]): Buffer {
  return Buffer.concat([u16(code, data.length), Buffer.from(data)]);
}

const ecs = (bytes: number[]): Buffer => option(8, bytes);
const query = (rest: Buffer[], h: Parameters<typeof header>[0] = {}): Buffer =>
  Buffer.concat([header(h), ...rest]);

export const CORPUS: readonly CorpusCase[] = [
  { name: 'empty datagram', bytes: Buffer.alloc(0), expect: 'drop' },
  { name: 'truncated header (11 bytes)', bytes: header().subarray(0, 11), expect: 'drop' },
  { name: 'QR set in a request', bytes: query([WWW], { flags: 0x8000 }), expect: 'drop' },
  { name: 'header only, qdcount 0', bytes: header({ qd: 0 }), expect: FORMERR },
  { name: 'header claims a question that is not there', bytes: header(), expect: FORMERR },
  {
    name: 'truncated question name',
    bytes: query([name('www.example.test').subarray(0, 6)]),
    expect: FORMERR,
  },
  {
    name: 'question without type and class',
    bytes: query([name('www.example.test')]),
    expect: FORMERR,
  },
  {
    name: 'question with half a class',
    bytes: query([name('www.example.test'), u16(1), Buffer.from([0])]),
    expect: FORMERR,
  },
  { name: 'two questions', bytes: query([WWW, WWW], { qd: 2 }), expect: FORMERR },
  {
    name: 'compression pointer in the question',
    bytes: query([Buffer.from([0xc0, 12]), u16(1, 1)]),
    expect: FORMERR,
  },
  {
    name: '64-byte label',
    bytes: query([Buffer.from([64]), Buffer.alloc(64, 97), Buffer.from([0]), u16(1, 1)]),
    expect: FORMERR,
  },
  {
    name: 'name longer than 255 bytes',
    bytes: query([
      ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 97)])),
      Buffer.from([0]),
      u16(1, 1),
    ]),
    expect: FORMERR,
  },
  {
    name: 'label type 0x40 (extended)',
    bytes: query([Buffer.from([0x41, 0]), u16(1, 1)]),
    expect: FORMERR,
  },
  {
    name: 'answer records in a QUERY',
    bytes: query([WWW], { an: 1 }),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'authority records in a QUERY',
    bytes: query([WWW], { ns: 1 }),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'arcount says 1, nothing follows',
    bytes: query([WWW], { ar: 1 }),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'arcount says 3, one record follows',
    bytes: query([WWW, opt()], { ar: 3 }),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'compression loop in an additional record',
    bytes: query([WWW, Buffer.from([0xc0, 12 + WWW.length]), u16(1, 1), Buffer.alloc(4), u16(0)], {
      ar: 1,
    }),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'compression pointer past the end',
    bytes: query([WWW, Buffer.from([0xc0, 0xff]), u16(1, 1), Buffer.alloc(4), u16(0)], { ar: 1 }),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'rdata length past the end',
    bytes: query([WWW, Buffer.from([0]), u16(1, 1), Buffer.alloc(4), u16(50), Buffer.alloc(4)], {
      ar: 1,
    }),
    expect: FORMERR,
  },
  { name: 'two OPT records', bytes: query([WWW, opt(), opt()], { ar: 2 }), expect: FORMERR },
  {
    name: 'OPT not owned by the root',
    bytes: query([WWW, name('x'), opt().subarray(1)], { ar: 1 }),
    expect: FORMERR,
  },
  {
    name: 'EDNS option longer than the OPT rdata',
    bytes: query(
      [WWW, Buffer.from([0]), u16(41, 1232), Buffer.alloc(4), u16(6), u16(8, 40), Buffer.alloc(2)],
      { ar: 1 },
    ),
    expect: FORMERR,
  },
  {
    name: 'EDNS option header cut short',
    bytes: query([WWW, Buffer.from([0]), u16(41, 1232), Buffer.alloc(4), u16(3), Buffer.alloc(3)], {
      ar: 1,
    }),
    expect: FORMERR,
  },
  {
    name: 'ECS with family 3',
    bytes: query([WWW, opt([ecs([0, 3, 8, 0, 1])])], { ar: 1 }),
    expect: FORMERR,
  },
  {
    name: 'ECS /33 for IPv4',
    bytes: query([WWW, opt([ecs([0, 1, 33, 0, 1, 2, 3, 4, 5])])], { ar: 1 }),
    expect: FORMERR,
  },
  {
    name: 'ECS with more address bytes than the prefix',
    bytes: query([WWW, opt([ecs([0, 1, 16, 0, 10, 0, 0])])], { ar: 1 }),
    expect: FORMERR,
  },
  {
    name: 'ECS with bits past the prefix',
    bytes: query([WWW, opt([ecs([0, 1, 20, 0, 10, 0, 0xff])])], { ar: 1 }),
    expect: FORMERR,
  },
  {
    name: 'ECS shorter than 4 bytes',
    bytes: query([WWW, opt([ecs([0, 1])])], { ar: 1 }),
    expect: FORMERR,
  },
  {
    name: 'EDNS version 1',
    bytes: query([WWW, opt([], 1)], { ar: 1 }),
    expect: BADVERS,
    echoesQuestion: true,
  },
  { name: 'opcode IQUERY', bytes: query([WWW], { flags: 1 << 11 }), expect: NOTIMP },
  { name: 'opcode STATUS', bytes: query([WWW], { flags: 2 << 11 }), expect: NOTIMP },
  { name: 'opcode NOTIFY', bytes: query([WWW], { flags: 4 << 11 }), expect: NOTIMP },
  { name: 'opcode 15', bytes: query([WWW], { flags: 15 << 11 }), expect: NOTIMP },
  {
    name: 'class CH',
    bytes: query([name('version.bind'), u16(16, 3)]),
    expect: REFUSED,
    echoesQuestion: true,
  },
  {
    name: 'class ANY',
    bytes: query([name('www.example.test'), u16(1, 255)]),
    expect: REFUSED,
    echoesQuestion: true,
  },
  {
    name: 'AXFR',
    bytes: query([name('example.test'), u16(252, 1)]),
    expect: REFUSED,
    echoesQuestion: true,
  },
  {
    name: 'IXFR',
    bytes: query([name('example.test'), u16(251, 1)]),
    expect: REFUSED,
    echoesQuestion: true,
  },
  {
    name: 'qtype OPT',
    bytes: query([name('example.test'), u16(41, 1)]),
    expect: FORMERR,
    echoesQuestion: true,
  },
  {
    name: 'name outside every zone',
    bytes: query([name('example.org'), u16(1, 1)]),
    expect: REFUSED,
    echoesQuestion: true,
  },
  {
    name: 'root name',
    bytes: query([Buffer.from([0]), u16(2, 1)]),
    expect: REFUSED,
    echoesQuestion: true,
  },
  {
    name: 'binary label bytes',
    bytes: query([Buffer.from([3, 0, 0x2e, 0xff]), name('example.test'), u16(1, 1)]),
    expect: 3,
    echoesQuestion: true,
  },
  {
    name: 'COOKIE before ECS (both honoured)',
    bytes: query(
      [WWW, opt([option(10, [1, 2, 3, 4, 5, 6, 7, 8]), ecs([0, 1, 24, 0, 198, 51, 100])])],
      { ar: 1 },
    ),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'IPv6 ECS /56',
    bytes: query([WWW, opt([ecs([0, 2, 56, 0, 0x20, 1, 0x0d, 0xb8, 0x12, 0x34, 0x56])])], {
      ar: 1,
    }),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'ECS /0',
    bytes: query([WWW, opt([ecs([0, 1, 0, 0])])], { ar: 1 }),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'unknown EDNS option only',
    bytes: query([WWW, opt([option(65001, [9, 9, 9])])], { ar: 1 }),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'EDNS buffer below 512',
    bytes: query([WWW, opt([], 0, 100)], { ar: 1 }),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'trailing bytes after the message',
    bytes: query([WWW, Buffer.from('garbage')]),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'unknown query type',
    bytes: query([name('www.example.test'), u16(65280, 1)]),
    expect: 0,
    echoesQuestion: true,
  },
  {
    name: 'TC set in a request',
    bytes: query([WWW], { flags: 0x0200 }),
    expect: 0,
    echoesQuestion: true,
  },
];
