/**
 * The state diagram's edges from traced transitions: every normal path of a
 * real connection maps to an edge of RFC 9293's figure, endings by RST or
 * timeout map to abort edges, and counts add up per connection and overall.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { TcpEvent } from '../../../worker/trace/events';
import { EDGES, FsmModel, NODES, edgeFor, nodeFor } from '../../../src/panels/fsm/fsm-model';
import { orderlyConnection, pair } from '../../helpers/lan';

const ip = (s: string) => parseIpv4(s)!;

describe('state diagram edges', () => {
  it('maps the handshake and the four-way close of a real connection onto the figure, each side on its own path', () => {
    const net = orderlyConnection();
    const m = new FsmModel();
    m.apply(net.events);
    const alice = m.list().find((h) => h.host === 'alice')!;
    const bob = m.list().find((h) => h.host === 'bob')!;
    expect(alice.transitions.map((t) => t.edge?.id)).toEqual(['CLOSED>SYN_SENT', 'SYN_SENT>ESTABLISHED', 'ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2', 'FIN_WAIT_2>TIME_WAIT', 'TIME_WAIT>CLOSED_END']);
    expect(bob.transitions.map((t) => t.edge?.id)).toEqual(['LISTEN>SYN_RCVD', 'SYN_RCVD>ESTABLISHED', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSED_END']);
    expect(alice.transitions[1]!.cause).toBe('rcv SYN,ACK / snd ACK');
    expect(m.countsOf(alice.conn).get('FIN_WAIT_2>TIME_WAIT')).toBe(1);
    expect(m.totals.get('SYN_RCVD>ESTABLISHED')).toBe(1);
    expect(nodeFor(alice.state, true)).toBe('CLOSED_END');
    // Every edge joins two drawn states.
    const ids = new Set(NODES.map((n) => n.id));
    for (const e of EDGES) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
  });

  it('a reset or a timeout is an abort edge to the bottom CLOSED, labelled by its cause', () => {
    const net = pair({ delayMs: 1 });
    const c = net.a.tcp.connect(ip('10.0.0.2'), 5555); // nobody listens: RST
    c.onError = () => {};
    net.run(50);
    const m = new FsmModel();
    m.apply(net.events);
    const closed = (net.events as TcpEvent[]).find((e) => e.type === 'tcp' && e.what === 'state' && e.to === 'CLOSED')!;
    expect(closed.type === 'tcp' && closed.what === 'state' && closed.cause).toBe('rcv RST,ACK (ECONNREFUSED)');
    const edge = m.list()[0]!.transitions.at(-1)!.edge!;
    expect([edge.from, edge.to, edge.abort]).toEqual(['SYN_SENT', 'CLOSED_END', true]);
    expect(edgeFor('ESTABLISHED', 'CLOSED', 'retransmissions exhausted (ETIMEDOUT)')?.abort).toBe(true);
    expect(edgeFor('TIME_WAIT', 'CLOSED', '2 MSL timeout')?.id).toBe('TIME_WAIT>CLOSED_END');
    expect(edgeFor('FIN_WAIT_1', 'TIME_WAIT', 'rcv FIN / snd ACK')?.id).toBe('FIN_WAIT_1>TIME_WAIT');
    expect(edgeFor('FIN_WAIT_1', 'CLOSING', 'rcv FIN / snd ACK (simultaneous close)')?.id).toBe('FIN_WAIT_1>CLOSING');
  });

  it('a new connection on the same ports starts a fresh history', () => {
    const m = new FsmModel();
    const ev = (from: string, to: string, t: number): TcpEvent => ({ type: 'tcp', t, host: 'alice', conn: 'a:1>b:2', what: 'state', from, to, cause: 'x' });
    m.apply([ev('CLOSED', 'SYN_SENT', 1), ev('SYN_SENT', 'CLOSED', 2), ev('CLOSED', 'SYN_SENT', 3)]);
    expect(m.get('a:1>b:2')!.transitions).toHaveLength(1);
    expect(m.totals.get('CLOSED>SYN_SENT')).toBe(2);
  });
});
