/**
 * An authoritative DNS server on UDP port 53, with optional recursion.
 *
 * One socket serves every address of the host; each address is a "view" with
 * its own zones (the lab's root and TLD live on secondary addresses, a host's
 * own zone on its primary), and the answer leaves from the address the query
 * was sent to. A view with a resolver also recurses for queries with RD set
 * (RFC 1034 4.3.1): it resolves names outside its zones iteratively, from the
 * root, with the resolver's cache.
 *
 * Rules followed:
 *   - ID and question copied, RD copied, AA on authoritative data, RA as the
 *     view is configured (RFC 1035 4.1.1);
 *   - NXDOMAIN vs NODATA, each with the zone's SOA in the authority section,
 *     TTL capped by its minimum (RFC 2308 2, 3);
 *   - referrals with the child's NS records and glue (RFC 1034 4.3.2);
 *   - FORMERR for a query that cannot be read but has a header, for no or
 *     several questions, for several OPT records (RFC 6891 6.1.1); NOTIMP for
 *     other opcodes and for zone transfers over UDP; REFUSED for names the view
 *     neither owns nor recurses for, and for other classes; EDNS version other
 *     than 0: BADVERS (RFC 6891 6.1.3);
 *   - 512 bytes at most without EDNS, the requester's size with it (capped by
 *     ours); an answer that does not fit goes back with TC set and only the
 *     question (RFC 1035 4.2.1, RFC 2181 9). No DNS over TCP here;
 *   - never an answer to a response, to a broadcast, or to something with no
 *     readable header: those are counted, traced and dropped.
 */

import { formatIpv4, type Ipv4Addr } from '../../wire/addr';
import {
  DNS,
  DnsClass,
  DnsOpcode,
  DnsType,
  Rcode,
  displayName,
  dnsBytes,
  dnsEncodingLength,
  parseDns,
  parseDnsHeader,
  rcodeName,
  typeName,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
} from '../../wire/dns';
import type { UdpMessage, UdpSocket } from '../../transport/udp';
import type { AppHost } from '../app-host';
import { DNS_PORT, type Resolver } from './resolver';
import type { Zone } from './zone';

export interface DnsView {
  /** The address this view answers on. */
  address: Ipv4Addr;
  /** A few words for traces: "root", "lab. TLD", "alice.lab". */
  label: string;
  zones: Zone[];
  /** Recursion for RD queries outside the zones (RA=1 in every answer of this view). */
  recursion?: Resolver;
}

export interface DnsServerOptions {
  views: DnsView[];
  port: number;
  /** Recursive lookups in flight at once; more are dropped, like a busy server. */
  maxRecursions: number;
  /** Our own EDNS UDP payload size (RFC 6891 6.2.5; 1232 avoids fragmentation, DNS Flag Day 2020). */
  ednsSize: number;
}

export interface DnsServerStats {
  queries: number;
  answered: number;
  /** Dropped without an answer: unreadable, a response, a broadcast, too busy. */
  dropped: number;
  formerr: number;
  notimp: number;
  refused: number;
  truncated: number;
  recursions: number;
}

const EDNS_VERSION = 0;
const BADVERS = 16;

export class DnsServer {
  readonly options: DnsServerOptions;
  readonly stats: DnsServerStats = { queries: 0, answered: 0, dropped: 0, formerr: 0, notimp: 0, refused: 0, truncated: 0, recursions: 0 };
  private readonly socket: UdpSocket;
  private inFlight = 0;

  constructor(
    private readonly host: AppHost,
    options: Partial<DnsServerOptions> & { views: DnsView[] },
  ) {
    this.options = { port: DNS_PORT, maxRecursions: 32, ednsSize: 1232, ...options };
    this.socket = host.udp.bind(this.options.port);
    this.socket.onMessage = (m) => this.receive(m);
  }

  close(): void {
    this.socket.close();
  }

  private receive(msg: UdpMessage): void {
    const ctx = this.host.ctx;
    this.stats.queries++;
    const view = this.options.views.find((v) => v.address === msg.to);
    if (!view) {
      // A broadcast, or an address of ours with nothing to serve (RFC 1122 4.1.3.6 lets us ignore broadcasts).
      this.drop('unsupported', `DNS query to ${formatIpv4(msg.to)}, where no zone is served`, msg);
      return;
    }
    const parsed = parseDns(msg.data);
    if (!parsed.ok) {
      const h = parseDnsHeader(msg.data);
      if (!h || h.qr) {
        this.drop(parsed.error.reason, `DNS message from ${formatIpv4(msg.from.addr)} dropped: ${parsed.error.detail}`, msg);
        return;
      }
      // RFC 1035 4.1.1: "Format error - The name server was unable to interpret the query."
      ctx.drop('app', parsed.error.reason, `DNS query from ${formatIpv4(msg.from.addr)} answered FORMERR: ${parsed.error.detail}`, undefined, msg.data.length);
      this.respond(view, msg, { ...h, questions: [], answers: [], authorities: [], additionals: [] }, Rcode.FORMERR, undefined);
      return;
    }
    const q = parsed.value;
    if (q.qr) {
      // Never answer a response: two servers would bounce it forever.
      this.drop('malformed', `a DNS response from ${formatIpv4(msg.from.addr)} arrived at the server port`, msg);
      return;
    }
    const opts = q.additionals.filter((r) => r.type === DnsType.OPT);
    if (q.opcode !== DnsOpcode.QUERY) return this.respond(view, msg, q, Rcode.NOTIMP, undefined);
    if (q.questions.length !== 1 || opts.length > 1 || (opts.length === 1 && opts[0].name !== '')) return this.respond(view, msg, q, Rcode.FORMERR, undefined);
    const opt = opts[0];
    if (opt && ((opt.ttl >>> 16) & 0xff) !== EDNS_VERSION) return this.respond(view, msg, q, BADVERS, opt);
    const question = q.questions[0];
    if (question.type === DnsType.OPT) return this.respond(view, msg, q, Rcode.FORMERR, opt);
    if (question.type === DnsType.AXFR || question.type === DnsType.IXFR) return this.respond(view, msg, q, Rcode.NOTIMP, opt);
    if (question.class !== DnsClass.IN && question.class !== DnsClass.ANY) return this.respond(view, msg, q, Rcode.REFUSED, opt);

    const zone = bestZone(view.zones, question.name);
    if (zone) {
      const a = zone.lookup(question.name, question.type);
      const answer: Partial<DnsMessage> = { aa: a.kind !== 'referral' };
      switch (a.kind) {
        case 'answer':
          answer.answers = [...a.chain, ...a.records];
          break;
        case 'nodata':
          answer.answers = a.chain;
          answer.authorities = [a.soa];
          break;
        case 'nxdomain':
          answer.answers = a.chain;
          answer.authorities = [a.soa];
          break;
        case 'referral':
          answer.answers = a.chain;
          answer.authorities = a.ns;
          answer.additionals = a.glue;
          break;
      }
      this.respond(view, msg, q, a.kind === 'nxdomain' ? Rcode.NXDOMAIN : Rcode.NOERROR, opt, answer);
      return;
    }
    if (!view.recursion || !q.rd) {
      this.respond(view, msg, q, Rcode.REFUSED, opt);
      return;
    }
    this.recurse(view, view.recursion, msg, q, question, opt);
  }

  private recurse(view: DnsView, resolver: Resolver, msg: UdpMessage, q: DnsMessage, question: DnsQuestion, opt: DnsRecord | undefined): void {
    if (this.inFlight >= this.options.maxRecursions) {
      this.drop('dns-busy', `${this.inFlight} recursive lookups already running; query for ${displayName(question.name)} dropped`, msg);
      return;
    }
    this.inFlight++;
    this.stats.recursions++;
    resolver.lookup(question.name, { mode: 'iterative', type: question.type }, (r) => {
      this.inFlight--;
      if (r.ok) return this.respond(view, msg, q, Rcode.NOERROR, opt, { answers: r.records });
      const negative = r.error.code === 'NXDOMAIN' || r.error.code === 'NODATA';
      if (negative) return this.respond(view, msg, q, r.error.code === 'NXDOMAIN' ? Rcode.NXDOMAIN : Rcode.NOERROR, opt, { answers: r.records, authorities: r.soa ? [r.soa] : [] });
      this.respond(view, msg, q, Rcode.SERVFAIL, opt);
    });
  }

  /** Builds the response to `q` and sends it from the address asked. */
  private respond(view: DnsView, msg: UdpMessage, q: DnsMessage, rcode: number, opt: DnsRecord | undefined, body: Partial<DnsMessage> = {}): void {
    const ctx = this.host.ctx;
    const edns = opt ? [this.optRecord(rcode)] : [];
    const r: DnsMessage = {
      id: q.id,
      qr: true,
      opcode: q.opcode,
      aa: body.aa ?? false,
      tc: false,
      rd: q.rd,
      ra: view.recursion !== undefined,
      ad: false,
      cd: q.cd,
      rcode: rcode & 0xf,
      questions: q.questions.slice(0, 1),
      answers: body.answers ?? [],
      authorities: body.authorities ?? [],
      additionals: [...(body.additionals ?? []), ...edns],
    };
    // RFC 6891 6.2.5: the requester's size, at least 512, at most ours.
    const limit = opt ? Math.min(Math.max(DNS.UDP_MAX, opt.class), this.options.ednsSize) : DNS.UDP_MAX;
    let truncated = false;
    if (dnsEncodingLength(r) > limit) {
      // RFC 2181 9: set TC; we send the question alone and let the client retry another way.
      r.tc = true;
      r.answers = [];
      r.authorities = [];
      r.additionals = edns;
      truncated = true;
      this.stats.truncated++;
    }
    if (rcode === Rcode.FORMERR) this.stats.formerr++;
    else if (rcode === Rcode.NOTIMP) this.stats.notimp++;
    else if (rcode === Rcode.REFUSED) this.stats.refused++;
    try {
      this.socket.sendTo(msg.from.addr, msg.from.port, dnsBytes(r), msg.to);
    } catch {
      // No route back (or the socket closed with a host crash): nothing to answer to.
      return;
    }
    this.stats.answered++;
    if (ctx.tracing) {
      const question = r.questions[0] ? `${displayName(r.questions[0].name)} ${typeName(r.questions[0].type)}` : '(no question)';
      const what =
        rcode === BADVERS
          ? 'BADVERS: only EDNS version 0 is spoken here'
          : r.answers.length > 0
            ? `${r.aa ? 'authoritative ' : ''}answer, ${r.answers.length} record${r.answers.length === 1 ? '' : 's'}`
            : rcode === Rcode.NOERROR && r.authorities.some((a) => a.type === DnsType.NS)
              ? `referral to ${displayName(r.authorities[0].name)}`
              : rcodeName(r.rcode) + (rcode === Rcode.NOERROR && !truncated ? ' (no records of that type)' : '');
      ctx.emit({ type: 'dns', t: ctx.now, host: ctx.hostName, role: 'server', what: 'answered', question, peer: msg.from.addr, local: msg.to, id: r.id, detail: `${view.label}: ${what}${truncated ? ', truncated (TC): over the size limit' : ''}` });
    }
  }

  /** Our OPT record: our UDP size, and the upper bits of an extended rcode (RFC 6891 6.1.3). */
  private optRecord(rcode: number): DnsRecord {
    return { name: '', type: DnsType.OPT, class: this.options.ednsSize, ttl: ((rcode >>> 4) << 24) >>> 0, data: { kind: 'raw', bytes: new Uint8Array(0) } };
  }

  private drop(reason: Parameters<AppHost['ctx']['drop']>[1], detail: string, msg: UdpMessage): void {
    this.stats.dropped++;
    this.host.ctx.drop('app', reason, detail, undefined, msg.data.length);
  }
}

/** The zone with the longest origin containing `name` (RFC 1034 4.3.2 step 2). */
function bestZone(zones: Zone[], name: string): Zone | undefined {
  let best: Zone | undefined;
  for (const z of zones) if (z.contains(name) && (!best || z.origin.length > best.origin.length)) best = z;
  return best;
}
