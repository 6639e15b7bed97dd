'use strict';
// Ceiling for any Node.js UDP DNS server (the benchmark measures gslb as a ratio of it): node:dgram, one socket, answers every
// datagram with a fixed precomputed response (static.example.test A 192.0.2.1,
// TTL 300, AA) whose ID is patched from the query. No parsing, no lookup.
// usage: node dgram-fixed.js PORT [ADDR=127.0.0.1]
const dgram = require('node:dgram');
const port = Number(process.argv[2]);
const addr = process.argv[3] || '127.0.0.1';
if (!(port > 1024 && port < 65536)) {
  console.error('need a high port');
  process.exit(2);
}

function encodeName(n) {
  const parts = n.split('.').filter(Boolean);
  const bufs = parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')]));
  return Buffer.concat([...bufs, Buffer.from([0])]);
}
const header = Buffer.from([0, 0, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]); // QR AA, 1 q, 1 an
const question = Buffer.concat([encodeName('static.example.test'), Buffer.from([0, 1, 0, 1])]);
const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1]);
const template = Buffer.concat([header, question, answer]);

// Replies go to the query's source address, a literal: answered at once rather than by dns.lookup on the next
// tick (as gslb's listener does; +12 % here).
const net = require('node:net');
const sock = dgram.createSocket({
  type: 'udp4',
  lookup: (a, family, cb) =>
    net.isIP(a) ? cb(null, a, net.isIP(a)) : require('node:dns').lookup(a, family, cb),
});
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return;
  const out = Buffer.allocUnsafe(template.length);
  template.copy(out);
  out[0] = msg[0];
  out[1] = msg[1];
  out[2] |= msg[2] & 0x01; // copy RD
  sock.send(out, rinfo.port, rinfo.address);
});
sock.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
sock.bind(port, addr, () =>
  console.log(`dgram-fixed listening on ${addr}:${port} pid ${process.pid}`),
);
process.on('SIGTERM', () => sock.close(() => process.exit(0)));
