import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileFilter } from '../../../src/lib/filter/compile';
import { FIELDS } from '../../../src/lib/packets/fields';
import { rowText } from '../../../src/lib/packets/info';
import { PacketLog } from '../../../src/lib/packets/log';
import { PacketStore } from '../../../src/lib/packets/store';
import { RowView } from '../../../src/lib/packets/view';
import { en } from '../../../src/lib/i18n/en';
import { format } from '../../../src/lib/i18n/format';
import { TcpExpertFlag, type FrameEvent } from '../../../worker/trace/events';
import { golden } from '../../helpers/golden-frames';

/**
 * The golden log, solo mode (each frame once, when sent):
 *  0 ARP announcement alice   5 ICMP echo reply       10 TCP FIN,ACK bob
 *  1 ARP announcement bob     6 TCP SYN               11 TCP ACK
 *  2 ARP who-has              7 TCP SYN,ACK           12 UDP 5000 → 5353
 *  3 ICMP echo request        8 TCP PSH,ACK "GET / …" 13 ICMP port unreachable
 *  4 ARP is-at                9 TCP FIN,ACK alice
 * plus, made up here: row 14, a retransmission (RTO) of row 8 the conditioner lost.
 * Bob drops row 12 (nobody listens on 5353): his rx frame is matched to alice's row.
 */
function goldenLog(): PacketLog {
  const g = golden();
  const log = new PacketLog(new PacketStore(1000), 'solo');
  log.ingest(g.events);
  const data = g.tx.find((e) => e.frame === g.data)!;
  const rtx: FrameEvent = { ...data, id: 999, t: data.t + 300, expert: { flags: TcpExpertFlag.RETRANSMISSION, cause: 'rto' } };
  log.ingest([rtx, { type: 'fate', t: rtx.t, host: 'alice', id: 77, frameId: 999, fate: 'lost-random', len: rtx.frame.length }]);
  return log;
}

const log = goldenLog();

function matches(expr: string): number[] {
  const c = compileFilter(expr);
  if (!c.ok) throw new Error(`${expr}: ${c.error.code} at ${c.error.column}`);
  const view = new RowView(log.store);
  view.setFilter(c.test);
  view.step();
  return [...view.rows()];
}

describe('display filter: expressions on golden frames', () => {
  it('the golden log is what the table above says', () => {
    expect(log.store.count).toBe(15);
    expect(rowText(log.store, 8).info).toMatch(/\[PSH, ACK\].*Len=18$/);
    expect(rowText(log.store, 14).info).toMatch(/^\[TCP Retransmission \(RTO\)\] /);
  });

  const table: [string, number[]][] = [
    ['arp', [0, 1, 2, 4]],
    ['arp.opcode == 2', [4]],
    ['icmp', [3, 5, 13]],
    ['icmp.type == 8', [3]],
    ['icmp.type == 3 and icmp.code == 3', [13]],
    ['udp', [12]],
    ['udp.port == 5353', [12]],
    ['udp.dstport == 5000', []],
    ['tcp', [6, 7, 8, 9, 10, 11, 14]],
    ['tcp.port == 80', [6, 7, 8, 9, 10, 11, 14]],
    ['tcp.dstport == 80', [6, 8, 9, 11, 14]],
    ['tcp.srcport eq 80', [7, 10]],
    ['tcp.flags.syn', [6, 7]],
    ['tcp.flags.syn == 1 && tcp.flags.ack == 0', [6]],
    ['tcp.flags.syn && !tcp.flags.ack', [6]],
    ['tcp.flags.fin', [9, 10]],
    ['tcp.flags.rst', []],
    ['tcp.flags.psh', [8, 14]],
    ['tcp.len > 0', [8, 14]],
    ['tcp.len >= 18 && tcp.len <= 18', [8, 14]],
    ['tcp.flags == 0x12', [7]],
    ['tcp.window_size_value == 65535', [6, 7]],
    ['tcp.window_size > 65535', [8, 9, 10, 11, 14]],
    ['ip.addr == 10.0.0.2', [3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]],
    ['ip.src == 10.0.0.2', [5, 7, 10, 13]],
    ['ip.dst == 10.0.0.2 && !tcp', [3, 12]],
    ['ip.addr == 10.0.0.0/24', [3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]],
    ['ip.addr == 192.168.0.0/16', []],
    ['ip.addr != 10.0.0.1', [0, 1, 2, 4]], // "!=" is "not ==" (either end), as in Wireshark
    ['ip.ttl == 64 && icmp', [3, 5, 13]],
    ['ip.flags.df && udp', []],
    ['ip.proto == 17', [12]],
    ['eth.dst == ff:ff:ff:ff:ff:ff', [0, 1, 2]],
    ['eth.addr == 02:00:00:00:00:02 && arp', [1, 4]], // the who-has went to broadcast
    ['eth.src == 02-00-00-00-00-01 && arp', [0, 2]],
    ['frame.len > 90', [3, 5]],
    ['frame.len < 61', [0, 1, 2, 4, 12]],
    ['frame contains "GET"', [8, 14]],
    ['tcp.payload contains "HTTP/1.1\\r\\n"', [8, 14]],
    ['udp.payload contains "hello"', [12]],
    ['host == "bob"', [1, 4, 5, 7, 10, 13]],
    ['host contains "ali" && icmp', [3]],
    ['dropped', [12, 14]], // bob's stack dropped the datagram (no socket on 5353); the conditioner lost the retransmission
    ['drop.reason == "port-unreachable"', [12]],
    ['lost', [14]],
    ['!dropped && tcp.len > 0', [8]],
    ['tcp.analysis.retransmission', [14]],
    ['tcp.analysis.flags', [14]],
    ['tcp.analysis.retransmission_cause == "rto"', [14]],
    ['tcp.analysis.duplicate_ack || tcp.analysis.zero_window', []],
    // precedence: not > and > or; parentheses override
    ['arp || icmp && ip.src == 10.0.0.2', [0, 1, 2, 4, 5, 13]],
    ['(arp || icmp) && ip.src == 10.0.0.2', [5, 13]],
    ['not arp and not icmp and not tcp', [12]],
    ['!(arp || tcp || udp)', [3, 5, 13]],
    ['!!udp', [12]],
    ['frame.number <= 3', [0, 1, 2]],
  ];
  for (const [expr, want] of table) {
    it(expr, () => expect(matches(expr)).toEqual(want));
  }
});

describe('display filter: errors say what and where', () => {
  const errors: [string, string, number, string][] = [
    ['ip.addr ==', 'expected-value', 11, "expected a value after '==' at column 11"],
    ['tcp.prot == 80', 'unknown-field', 1, "there is no field 'tcp.prot' (column 1)"],
    ['ip.addr == 10.0.0.300', 'bad-ipv4', 12, "'10.0.0.300' is not an IPv4 address (column 12)"],
    ['(tcp || udp', 'missing-paren', 1, "the '(' at column 1 is never closed"],
    ['tcp)', 'unexpected-paren', 4, "a ')' with no '(' before it at column 4"],
    ['tcp &&', 'expected-expression', 7, "expected a test after '&&' at column 7"],
    ['tcp udp', 'expected-end', 5, "expected '&&', '||' or the end, found 'udp' at column 5"],
    ['tcp.flags.syn < 1', 'op-not-allowed', 15, "'<' does not apply to tcp.flags.syn (column 15)"],
    ['frame == "x"', 'op-not-allowed', 7, "'==' does not apply to frame (column 7)"],
    ['host == "bob', 'unterminated-string', 9, 'the string starting at column 9 has no closing quote'],
    ['tcp.port == "80"', 'bad-number', 13, "'\"80\"' is not a number (column 13)"],
    ['tcp.port == 8o', 'bad-number', 13, "'8o' is not a number (column 13)"],
    ['tcp.flags.syn == yes', 'bad-bool', 18, "'yes' is not 1, 0, true or false (column 18)"],
    ['eth.src == 02:00', 'bad-mac', 12, "'02:00' is not a MAC address (column 12)"],
    ['tcp # 1', 'unexpected-char', 5, "'#' cannot appear in a filter (column 5)"],
    ['   ', 'empty', 1, 'the filter is empty'],
  ];
  for (const [expr, code, column, english] of errors) {
    it(`${JSON.stringify(expr)} → ${code} at ${column}`, () => {
      const c = compileFilter(expr);
      expect(c.ok).toBe(false);
      if (c.ok) return;
      expect([c.error.code, c.error.column]).toEqual([code, column]);
      expect(format(en[`filter.error.${c.error.code}`], { ...c.error.params, column: c.error.column })).toBe(english);
    });
  }
});

describe('display filter: robustness', () => {
  it('never throws on arbitrary text, and errors point inside it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const c = compileFilter(text);
        if (!c.ok) {
          expect(c.error.column).toBeGreaterThanOrEqual(1);
          expect(c.error.column).toBeLessThanOrEqual(text.length + 1);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('generated well-formed filters compile and evaluate on every row without throwing', () => {
    const names = FIELDS.map((f) => f.name);
    const values = ['0', '1', '80', '0x12', '10.0.0.2', '10.0.0.0/8', 'ff:ff:ff:ff:ff:ff', '"bob"', 'true'];
    const ops = ['==', '!=', '<', '<=', '>', '>=', 'contains'];
    const { expr } = fc.letrec((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tie('atom'),
        fc.tuple(tie('expr'), fc.constantFrom('&&', '||', 'and', 'or'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
        tie('expr').map((a) => `!(${a})`),
      ),
      atom: fc.oneof(fc.constantFrom(...names), fc.tuple(fc.constantFrom(...names), fc.constantFrom(...ops), fc.constantFrom(...values)).map(([f, o, v]) => `${f} ${o} ${v}`)),
    }));
    fc.assert(
      fc.property(expr as fc.Arbitrary<string>, (text) => {
        const c = compileFilter(text);
        if (!c.ok) {
          // Only value/operator mismatches may be refused (a word is never a syntax error here).
          expect(['bad-number', 'bad-ipv4', 'bad-mac', 'bad-bool', 'op-not-allowed']).toContain(c.error.code);
          return;
        }
        for (let a = log.store.first; a < log.store.count; a++) c.test(log.store, log.store.slot(a), a);
      }),
      { numRuns: 1500 },
    );
  });
});
