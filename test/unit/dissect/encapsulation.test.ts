import { describe, expect, it } from 'vitest';
import { dissect } from '../../../src/lib/dissect';
import { encapSums } from '../../../src/lib/dissect/encapsulation';
import { golden } from '../../helpers/golden-frames';

const g = golden();

describe('encapsulation sums', () => {
  it('a SYN: 14 + 20 + 40 = 74 captured, 78 on the wire with the FCS', () => {
    const e = encapSums(dissect(g.syn));
    expect(e.headers.map((s) => s.headerLen)).toEqual([14, 20, 40]);
    expect([e.headerBytes, e.data, e.padding, e.wirePad, e.wire, e.ethernet]).toEqual([74, 0, 0, 0, 78, true]);
  });

  it('HTTP data: the payload after the headers', () => {
    const e = encapSums(dissect(g.data));
    expect(e.headerBytes + e.data).toBe(g.data.length);
    expect(e.wire).toBe(g.data.length + 4);
  });

  it('an ARP padded by the stack: 14 + 28 and 18 of padding, not data; 64 on the wire', () => {
    expect(g.arpRequest.length).toBe(60);
    const e = encapSums(dissect(g.arpRequest));
    expect([e.headerBytes, e.data, e.padding, e.wirePad, e.wire]).toEqual([42, 0, 18, 0, 64]);
  });

  it('a frame under 60 bytes: the wire pads it to 60 before the FCS', () => {
    const e = encapSums(dissect(g.arpRequest.slice(0, 42)));
    expect([e.padding, e.wirePad, e.wire]).toEqual([0, 18, 64]);
  });

  it('no Ethernet header: nothing for the wire to add', () => {
    const e = encapSums(dissect(new Uint8Array(5)));
    expect([e.ethernet, e.wirePad, e.wire]).toEqual([false, 0, 5]);
  });
});
