/**
 * The connections table's memory: trails built from the stack's own trace
 * events (a real handshake and close between two simulated hosts), numbers
 * merged from polls, and the ordering rules between the two sources.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../../worker/wire/addr';
import type { ConnectionSnapshot } from '../../../worker/lab';
import type { TraceEvent } from '../../../worker/trace/events';
import { ConnectionBook, CRASHED, endpointsOf, trailText, VANISHED } from '../../../src/panels/sockets/connection-book';
import { pair } from '../../helpers/lan';

const CONN = '10.0.0.1:49152>10.0.0.2:23';

function state(host: string, conn: string, from: string, to: string, t = 0, cause = 'test'): TraceEvent {
  return { type: 'tcp', t, host, conn, what: 'state', from, to, cause };
}

function snapshot(host: string, conn: string, patch: Partial<ConnectionSnapshot> = {}): ConnectionSnapshot {
  const [local, remote] = endpointsOf(conn);
  return {
    host, conn, state: 'ESTABLISHED', local, remote, iss: 0, irs: 0, sndUna: 0, sndNxt: 0, sndWnd: 65535, rcvNxt: 0, rcvWnd: 65535,
    sendMss: 1460, cwnd: 14600, ssthresh: 0x7fffffff, flightSize: 0, srtt: 1.2, rttvar: 0.5, rto: 200, inRecovery: false, dupAcks: 0,
    sndScale: 0, rcvScale: 0, sackOk: true, tsOk: true, sendQueued: 0, recvQueued: 0, outOfOrder: 0, retransmits: 0, segsOut: 0, segsIn: 0,
    timer: undefined, ...patch,
  } as ConnectionSnapshot; // the congestion and scoreboard details are not used by the book
}

describe('ConnectionBook', () => {
  it('follows a real connection through the handshake and the four-way close', () => {
    const net = pair({ delayMs: 1 });
    const l = net.b.tcp.listen(23);
    l.onConnection = () => {
      const s = l.accept()!;
      s.onEnd = () => s.close();
    };
    const c = net.a.tcp.connect(parseIpv4('10.0.0.2')!, 23);
    net.run(20);
    c.close();
    net.run(100);
    const book = new ConnectionBook();
    expect(book.applyAll(net.events)).toBe(true);
    const rows = book.rows();
    const alice = rows.find((r) => r.host === 'alice')!;
    const bob = rows.find((r) => r.host === 'bob')!;
    expect(alice.state).toBe('TIME_WAIT');
    expect(alice.closed).toBe(false);
    expect(trailText(alice.trail)).toBe('SYN_SENT → ESTABLISHED → FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT');
    expect(alice.trail[1]!.cause).toBe('rcv SYN,ACK / snd ACK');
    // The passive side starts from LISTEN (its listener's), ends CLOSED on the last ACK, and moves to the history.
    expect(bob.closed).toBe(true);
    expect(trailText(bob.trail)).toBe('LISTEN → SYN_RCVD → ESTABLISHED → CLOSE_WAIT → LAST_ACK → CLOSED');
    expect(bob.local).toBe(c.name.split('>')[1]);
    // Live rows first, then the closed.
    expect(rows.map((r) => r.host)).toEqual(['alice', 'bob']);
    // 2 MSL later (60 s by default) the active closer is done too.
    const seen = net.events.length;
    net.run(61_000);
    book.applyAll(net.events.slice(seen));
    const done = book.rows().find((r) => r.host === 'alice')!;
    expect(done.closed).toBe(true);
    expect(trailText(done.trail)).toBe('SYN_SENT → ESTABLISHED → FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT → CLOSED');
    expect(done.trail.at(-1)!.cause).toBe('2 MSL timeout');
  });

  it('starts a new row when a port pair is used again after CLOSED', () => {
    const book = new ConnectionBook();
    book.applyAll([state('alice', CONN, 'CLOSED', 'SYN_SENT'), state('alice', CONN, 'SYN_SENT', 'CLOSED', 1, 'rcv RST')]);
    book.apply(state('alice', CONN, 'CLOSED', 'SYN_SENT', 2));
    const rows = book.rows();
    expect(rows.map((r) => [r.state, r.closed])).toEqual([
      ['SYN_SENT', false],
      ['CLOSED', true],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(2);
  });

  it('keeps only the newest closed connections', () => {
    const book = new ConnectionBook(3);
    for (let port = 1; port <= 5; port++) {
      const conn = `10.0.0.1:${port}>10.0.0.2:7`;
      book.applyAll([state('alice', conn, 'CLOSED', 'SYN_SENT'), state('alice', conn, 'SYN_SENT', 'CLOSED')]);
    }
    expect(book.rows().map((r) => r.local)).toEqual(['10.0.0.1:5', '10.0.0.1:4', '10.0.0.1:3']);
    book.clearClosed();
    expect(book.rows()).toEqual([]);
  });

  it('counts retransmissions and remembers the error that ended a connection', () => {
    const book = new ConnectionBook();
    book.applyAll([
      state('alice', CONN, 'CLOSED', 'SYN_SENT'),
      { type: 'tcp', t: 1000, host: 'alice', conn: CONN, what: 'retransmit', cause: 'syn', seq: 1, len: 0 },
      { type: 'tcp', t: 1000, host: 'alice', conn: CONN, what: 'error', code: 'challenge-ack', detail: 'not an error' },
      { type: 'tcp', t: 1001, host: 'alice', conn: CONN, what: 'error', code: 'ECONNREFUSED', detail: 'RST' },
      state('alice', CONN, 'SYN_SENT', 'CLOSED', 1001, 'ECONNREFUSED'),
    ]);
    const [row] = book.rows();
    expect(row).toMatchObject({ state: 'CLOSED', closed: true, retransmits: 1, error: 'ECONNREFUSED' });
  });

  it('takes numbers from polls, and lists connections opened before it listened', () => {
    const book = new ConnectionBook();
    book.apply(state('alice', CONN, 'CLOSED', 'SYN_SENT'));
    const issued = book.mark();
    book.merge('alice', [snapshot('alice', CONN, { cwnd: 2920, retransmits: 3 }), snapshot('alice', '10.0.0.1:7>10.0.0.2:50000')], issued);
    const rows = book.rows();
    expect(rows[0]).toMatchObject({ conn: CONN, state: 'SYN_SENT', retransmits: 3 });
    expect(rows[0]!.numbers?.cwnd).toBe(2920);
    expect(rows[1]).toMatchObject({ local: '10.0.0.1:7', state: 'ESTABLISHED' });
    expect(rows[1]!.trail).toEqual([{ state: 'ESTABLISHED', t: undefined, cause: '' }]);
  });

  it('does not revive a connection from a poll issued before it closed', () => {
    const book = new ConnectionBook();
    book.apply(state('alice', CONN, 'CLOSED', 'SYN_SENT'));
    const issued = book.mark();
    // The trace says it closed while the poll was on its way; the reply still lists it.
    book.apply(state('alice', CONN, 'SYN_SENT', 'CLOSED', 5));
    book.merge('alice', [snapshot('alice', CONN)], issued);
    expect(book.rows().map((r) => r.closed)).toEqual([true]);
  });

  it('declares a connection gone only after polls issued after its last event miss it twice', () => {
    const book = new ConnectionBook();
    const early = book.mark();
    book.apply(state('alice', CONN, 'CLOSED', 'SYN_SENT'));
    // This poll was issued before the connection appeared: its absence means nothing.
    book.merge('alice', [], early);
    book.merge('alice', [], early);
    expect(book.liveCount).toBe(1);
    book.merge('alice', [], book.mark());
    expect(book.liveCount).toBe(1);
    book.merge('bob', [], book.mark()); // another host's poll says nothing about alice
    book.merge('alice', [], book.mark());
    expect(book.liveCount).toBe(0);
    expect(book.rows()[0]!.trail.at(-1)).toEqual({ state: 'CLOSED', t: undefined, cause: VANISHED });
  });

  it('closes every connection of a host that crashed', () => {
    const book = new ConnectionBook();
    book.applyAll([state('alice', CONN, 'CLOSED', 'SYN_SENT'), state('bob', '10.0.0.2:23>10.0.0.1:49152', 'LISTEN', 'SYN_RCVD')]);
    book.apply({ type: 'host', t: 9, host: 'bob', what: 'down', detail: '' });
    const rows = book.rows();
    expect(rows.map((r) => [r.host, r.state])).toEqual([
      ['alice', 'SYN_SENT'],
      ['bob', 'CLOSED'],
    ]);
    expect(rows[1]!.trail.at(-1)).toEqual({ state: 'CLOSED', t: 9, cause: CRASHED });
  });

  it('ignores events that are not about TCP connections', () => {
    const book = new ConnectionBook();
    expect(book.apply({ type: 'host', t: 0, host: 'bob', what: 'up', detail: '' })).toBe(false);
    expect(book.apply({ type: 'tcp', t: 0, host: 'bob', conn: CONN, what: 'cwnd', cwnd: 1, ssthresh: 2, cause: 'x' })).toBe(false);
    expect(book.rows()).toEqual([]);
  });
});

describe('ConnectionBook, poll before trace', () => {
  it('lets the first trace events rewrite the trail of a row a poll created', () => {
    const book = new ConnectionBook();
    // The handshake finished before the first trace batch arrived: the poll saw ESTABLISHED first.
    book.merge('alice', [snapshot('alice', CONN)], book.mark());
    expect(trailText(book.rows()[0]!.trail)).toBe('ESTABLISHED');
    book.applyAll([state('alice', CONN, 'CLOSED', 'SYN_SENT'), state('alice', CONN, 'SYN_SENT', 'ESTABLISHED', 1)]);
    const [row] = book.rows();
    expect(trailText(row!.trail)).toBe('SYN_SENT → ESTABLISHED');
    expect(row!.numbers?.cwnd).toBe(14600);
  });
});
