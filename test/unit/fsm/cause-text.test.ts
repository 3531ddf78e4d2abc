/**
 * State-change causes in the reader's language: every cause the stack can
 * trace (worker/transport/tcp/causes.ts, the only causes the TCB's types
 * allow) and every label of the state diagram has a key; English reads
 * exactly as the stack writes it; Chinese keeps the protocol's words; a
 * failed connection keeps its error code; an unknown cause is shown raw.
 */
import { describe, expect, it } from 'vitest';
import { STATE_CAUSES } from '../../../worker/transport/tcp/causes';
import type { TcpEvent, TraceEvent } from '../../../worker/trace/events';
import { parseIpv4 } from '../../../worker/wire/addr';
import { EDGES } from '../../../src/panels/fsm/fsm-model';
import { causeKey, causeText } from '../../../src/lib/i18n/cause-text';
import { en, type Messages } from '../../../src/lib/i18n/en';
import { zhCN } from '../../../src/lib/i18n/zh-CN';
import { orderlyConnection, pair } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;
const inEnglish = (cause: string) => causeText(cause, (key) => en[key]);
const inChinese = (cause: string) => causeText(cause, (key) => (zhCN as Messages)[key]);
const labels = EDGES.map((e) => e.label).filter((l) => l !== '');
/** The protocol's own words, never translated. */
const VOCABULARY = /\b(SYN|ACK|FIN|RST|MSL|ICMP|LISTEN|TIME_WAIT|FIN_WAIT_2|E[A-Z]{4,})\b/g;

function causesOf(events: readonly TraceEvent[]): string[] {
  return events.filter((e): e is Extract<TcpEvent, { what: 'state' }> => e.type === 'tcp' && e.what === 'state').map((e) => e.cause);
}

describe('state-change causes', () => {
  it('every cause the stack can trace and every diagram label has a key whose English is the cause itself', () => {
    for (const cause of [...STATE_CAUSES, ...labels]) {
      expect([cause, causeKey(cause)]).toEqual([cause, expect.stringMatching(/^cause\./)]);
      expect(inEnglish(cause)).toBe(cause);
    }
    // ...and no cause.* key is left over.
    const used = new Set([...STATE_CAUSES, ...labels].map((c) => causeKey(c)));
    used.add('cause.failed' as never);
    expect(Object.keys(en).filter((k) => k.startsWith('cause.') && !used.has(k as never))).toEqual([]);
  });

  it('in Chinese every cause is translated and keeps SYN, ACK, FIN, RST, MSL and the state names as they are', () => {
    for (const cause of [...STATE_CAUSES, ...labels]) {
      const zh = inChinese(cause);
      expect([cause, zh === cause]).toEqual([cause, false]);
      const words = (text: string) => (text.match(VOCABULARY) ?? []).sort();
      expect([cause, words(zh)]).toEqual([cause, words(cause)]);
    }
    expect(inChinese('rcv FIN / snd ACK')).toBe('收到 FIN / 发送 ACK');
    expect(inChinese('passive OPEN')).toBe('被动打开');
    expect(inChinese('2 MSL timeout')).toBe('2 MSL 计时结束');
  });

  it('a failed connection keeps its error code; an unknown cause is shown as it came', () => {
    expect(inEnglish('rcv RST (ECONNRESET)')).toBe('rcv RST (ECONNRESET)');
    expect(inChinese('rcv RST (ECONNRESET)')).toBe('收到 RST（ECONNRESET）');
    expect(inChinese('rcv RST (back to LISTEN)')).toBe('收到 RST（回到 LISTEN）');
    expect(inChinese('something new (ETIMEDOUT)')).toBe('something new (ETIMEDOUT)');
    expect(inChinese('a cause from a newer peer')).toBe('a cause from a newer peer');
    expect(inChinese('toString')).toBe('toString');
  });

  it('the causes real connections trace are all known, in English exactly as traced', () => {
    // A connection opened and closed in order, on both sides, through TIME_WAIT.
    const net = orderlyConnection();
    // A refused one and a reset one.
    const refused = net.a.tcp.connect(ip('10.0.0.2'), 5555);
    refused.onError = () => {};
    net.run(50);
    const l2 = net.b.tcp.listen(7001);
    l2.onConnection = () => l2.accept()!.abort();
    const reset = net.a.tcp.connect(ip('10.0.0.2'), 7001);
    reset.onError = () => {};
    net.run(50);
    const causes = new Set(causesOf(net.events));
    expect([...causes]).toEqual(expect.arrayContaining(['rcv SYN,ACK / snd ACK', '2 MSL timeout', 'rcv RST,ACK (ECONNREFUSED)', 'abort: RST', 'rcv RST (ECONNRESET)']));
    for (const cause of causes) {
      expect(inEnglish(cause)).toBe(cause);
      expect([cause, inChinese(cause) === cause]).toEqual([cause, false]);
    }
  });
});
