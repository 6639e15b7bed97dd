// UPDATE messages as a client builds them: used by the health monitor (and tests) to take nsupdate's path.
import { Opcode, RRClass, type RR, RRType } from '../core/index.ts';
import { encodeMessage, signMessage, type TsigKey } from '../dns/index.ts';

export interface AddressChange {
  readonly name: string;
  readonly type: number; // A or AAAA
  readonly ttl: number;
  readonly address: string;
  /** true: add the address (it is up); false: delete it (it is down). */
  readonly add: boolean;
}

export function buildAddressUpdate(
  zone: string,
  changes: readonly AddressChange[],
  key: TsigKey,
  nowSeconds: number,
  id: number,
): Buffer {
  const updates: RR[] = changes.map((c) => ({
    name: c.name,
    type: c.type,
    class: c.add ? RRClass.IN : RRClass.NONE,
    ttl: c.add ? c.ttl : 0,
    data: { type: c.type === RRType.AAAA ? 'AAAA' : 'A', address: c.address },
  }));
  const message = encodeMessage({
    id,
    qr: false,
    opcode: Opcode.UPDATE,
    aa: false,
    tc: false,
    rd: false,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    question: [{ name: zone, type: RRType.SOA, class: RRClass.IN }],
    answer: [],
    authority: updates,
    additional: [],
    edns: undefined,
  });
  return signMessage(message, key, { timeSigned: nowSeconds });
}
