/**
 * A DNS resolver with two modes, and a cache on the injected clock.
 *
 *   stub       asks one configured server with RD=1 and takes its answer (what
 *              a laptop's resolver does): one query, one answer on the wire.
 *   iterative  starts at a root server and follows referrals itself, root ->
 *              TLD -> the zone's own server (RFC 1034 5.3.3), RD=0 each time:
 *              the demo of how a recursive server works, one step per query.
 *
 * Each query is a transaction on its own UDP socket with a fresh random
 * ephemeral port and a random ID from ctx.rng (RFC 5452 9.2); a response is
 * taken only from the address and port asked, with an ID we sent and our
 * question (RFC 5452 9.1); anything else is counted, traced and ignored. An
 * attempt that gets no answer in `timeoutMs` is sent again (new ID), up to
 * `attempts` times per server; iterative mode then tries the zone's next server.
 *
 * Answers are cached by their TTL, "no such name"/"no such record" by the SOA
 * minimum (RFC 2308 5), and in iterative mode delegations too, so a second
 * lookup under a known zone skips the root. In iterative mode only data inside
 * the zone a server was asked about is believed (the bailiwick rule, RFC 2181
 * 5.4.1): a server for lab. cannot plant records for another zone.
 *
 * The API is a callback on the stack's scheduler (`lookup`), with a Promise
 * wrapper (`resolve`) for the UI and the HTTP client. A lookup answered from the
 * cache calls back at once.
 */

import { formatIpv4, parseIpv4, type Ipv4Addr } from '../../wire/addr';
import {
  DnsClass,
  DnsType,
  Rcode,
  displayName,
  dnsBytes,
  dnsQuery,
  formatRecord,
  isSubdomain,
  normalizeName,
  parseDns,
  rcodeName,
  sameName,
  typeName,
  type DnsMessage,
  type DnsRecord,
} from '../../wire/dns';
import type { UdpMessage, UdpSocket } from '../../transport/udp';
import type { AppHost } from '../app-host';
import { DEFAULT_CACHE_OPTIONS, DnsCache, type CacheEntrySnapshot, type CacheHit, type NameServer } from './cache';

export const DNS_PORT = 53;

export type ResolveMode = 'stub' | 'iterative';

export interface ResolverOptions {
  /** Stub mode: the server asked (a host's DNS service on its primary address). */
  server: Ipv4Addr | undefined;
  port: number;
  /** Iterative mode: the root servers to start from ("root hints"), in order of preference. */
  roots: readonly NameServer[];
  /** Wait for one attempt, ms. */
  timeoutMs: number;
  /** Attempts per server (the first send and its retries). */
  attempts: number;
  /** Queries one lookup may send in all, before it gives up (referral loops, hostile servers). */
  maxQueries: number;
  /**
   * Servers for which this is true are asked last. A real resolver prefers the
   * fastest server (lowest smoothed RTT), which here would always be the one on
   * its own host; preferring the others makes the lab's queries cross the wire.
   */
  isLocal: ((addr: Ipv4Addr) => boolean) | undefined;
  /** Appended to a name without dots ("bob" -> "bob.lab"), like resolv.conf's search. */
  searchDomain: string | undefined;
  cacheEntries: number;
}

export const DEFAULT_RESOLVER_OPTIONS: ResolverOptions = {
  server: undefined,
  port: DNS_PORT,
  roots: [],
  timeoutMs: 2000,
  attempts: 3,
  maxQueries: 24,
  isLocal: undefined,
  searchDomain: undefined,
  cacheEntries: DEFAULT_CACHE_OPTIONS.maxEntries,
};

export interface LookupOptions {
  mode?: ResolveMode;
  /** Record type; default A. */
  type?: number;
  /** false: ask the network even when the cache knows (what it learns is still cached). */
  useCache?: boolean;
  /** Each query as it completes, for a live view. */
  onStep?: (step: ResolutionStep) => void;
}

/** One query and what came of it: a row of the iterative demo. */
export interface ResolutionStep {
  /** The address asked. */
  server: Ipv4Addr;
  /** Its name when known ("b.root.lab"). */
  serverName?: string;
  /** The zone we asked it about ('' = the root); undefined in stub mode. */
  zone?: string;
  /** "www.bob.lab. A" */
  question: string;
  /** ID of the last attempt, and our source port. */
  id: number;
  srcPort: number;
  attempts: number;
  /** Stack time of the first attempt. */
  sentAt: number;
  /** From the last attempt to its answer. */
  rttMs?: number;
  outcome: 'answer' | 'cname' | 'referral' | 'nxdomain' | 'nodata' | 'error' | 'truncated' | 'timeout' | 'unreachable';
  /** A sentence: "referral to lab. (a.nic.lab., b.nic.lab.)". */
  summary: string;
  rcode?: number;
  aa?: boolean;
  /** The response's records, one line each as dig prints them. */
  records: string[];
}

export type DnsErrorCode = 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'UNREACHABLE' | 'TRUNCATED' | 'BAD_NAME' | 'NO_SERVER' | 'LOOP';

interface ResolutionBase {
  /** The name looked up (after the search domain). */
  name: string;
  type: number;
  mode: ResolveMode;
  /** Answered from the cache without a query. */
  fromCache: boolean;
  /** The name was an IPv4 address: nothing to look up. */
  literal: boolean;
  cnames: { from: string; to: string }[];
  /** The end of the CNAME chain (the name itself when there is none). */
  canonicalName: string;
  steps: ResolutionStep[];
  elapsedMs: number;
  /** The answer section a server would give: the CNAMEs, then the records. */
  records: DnsRecord[];
}

export type Resolution =
  | (ResolutionBase & { ok: true; addresses: Ipv4Addr[]; answers: DnsRecord[]; ttl: number })
  | (ResolutionBase & { ok: false; error: { code: DnsErrorCode; message: string }; soa?: DnsRecord });

type Outcome =
  | { ok: true; chain: DnsRecord[]; records: DnsRecord[]; fromCache: boolean }
  | { ok: false; code: DnsErrorCode; message: string; chain: DnsRecord[]; soa?: DnsRecord; fromCache: boolean };

interface Job {
  mode: ResolveMode;
  useCache: boolean;
  steps: ResolutionStep[];
  queries: number;
  onStep: ((step: ResolutionStep) => void) | undefined;
}

type Exchange =
  | { kind: 'response'; message: DnsMessage; step: ResolutionStep }
  | { kind: 'timeout' | 'unreachable' | 'error'; step: ResolutionStep; message: string };

/** CNAMEs followed in one lookup (BIND's limit is 16; a lab needs few). */
const MAX_CNAMES = 8;
/** Nested lookups of a name server's own address. */
const MAX_DEPTH = 3;

export class Resolver {
  readonly options: ResolverOptions;
  readonly cache: DnsCache;
  private readonly rng;

  constructor(
    private readonly host: AppHost,
    options: Partial<ResolverOptions> = {},
  ) {
    this.options = { ...DEFAULT_RESOLVER_OPTIONS, ...options };
    this.cache = new DnsCache(host.ctx, { ...DEFAULT_CACHE_OPTIONS, maxEntries: this.options.cacheEntries });
    this.rng = host.ctx.rng.fork(`dns-resolver ${host.name}`);
  }

  /** Looks `name` up; `done` is called once, at once for a cache hit, else from a later event. */
  lookup(name: string, options: LookupOptions, done: (r: Resolution) => void): void {
    const ctx = this.host.ctx;
    const type = options.type ?? DnsType.A;
    const mode = options.mode ?? 'stub';
    const startedAt = ctx.now;
    const job: Job = { mode, useCache: options.useCache ?? true, steps: [], queries: 0, onStep: options.onStep };
    const literal = parseIpv4(name.trim());
    let qname = name;
    const finish = (o: Outcome, isLiteral = false) => {
      const r = this.resolution(qname, type, job, o, startedAt, isLiteral);
      if (ctx.tracing) {
        const detail = r.ok ? `${r.fromCache ? 'from cache: ' : ''}${r.answers.map((a) => formatRecord(a)).join(', ') || '(no records)'}` : r.error.message;
        ctx.emit({ type: 'dns', t: ctx.now, host: ctx.hostName, role: 'resolver', what: r.ok ? 'resolved' : 'failed', question: `${displayName(qname)} ${typeName(type)}`, detail });
      }
      done(r);
    };
    if (literal !== undefined && type === DnsType.A) {
      qname = formatIpv4(literal);
      const rec: DnsRecord = { name: qname, type: DnsType.A, class: DnsClass.IN, ttl: 0, data: { kind: 'A', address: literal } };
      finish({ ok: true, chain: [], records: [rec], fromCache: false }, true);
      return;
    }
    const n = normalizeName(name);
    if ('error' in n) {
      finish({ ok: false, code: 'BAD_NAME', message: n.error, chain: [], fromCache: false });
      return;
    }
    qname = n.name;
    const search = this.options.searchDomain;
    if (search && qname !== '' && !qname.includes('.')) qname = `${qname}.${search}`;
    if (mode === 'stub') this.stub(job, qname, type, finish);
    else this.iterate(job, qname, type, 0, [], finish);
  }

  /** `lookup` as a Promise. */
  resolve(name: string, options: LookupOptions = {}): Promise<Resolution> {
    return new Promise((resolve) => this.lookup(name, options, resolve));
  }

  flush(): void {
    this.cache.flush();
  }

  cacheSnapshot(): CacheEntrySnapshot[] {
    return this.cache.snapshot();
  }

  // ---- stub mode ----

  private stub(job: Job, qname: string, type: number, finish: (o: Outcome) => void): void {
    if (job.useCache) {
      const c = this.fromCache(qname, type);
      if (c?.hit) {
        finish(cacheOutcome(c.chain, c.hit, qname));
        return;
      }
    }
    const server = this.options.server;
    if (server === undefined) {
      finish({ ok: false, code: 'NO_SERVER', message: 'No DNS server is configured for this host; set one, or use iterative mode from the root.', chain: [], fromCache: false });
      return;
    }
    this.exchange(job, { server, name: qname, type, rd: true }, (x) => {
      if (x.kind !== 'response') {
        finish({ ok: false, code: x.kind === 'timeout' ? 'TIMEOUT' : x.kind === 'unreachable' ? 'UNREACHABLE' : 'SERVFAIL', message: x.message, chain: [], fromCache: false });
        return;
      }
      const m = x.message;
      const where = formatIpv4(server);
      if (m.tc) {
        finish({ ok: false, code: 'TRUNCATED', message: truncatedMessage(qname, where), chain: [], fromCache: false });
        return;
      }
      if (m.rcode !== Rcode.NOERROR && m.rcode !== Rcode.NXDOMAIN) {
        finish(rcodeFailure(m.rcode, qname, where));
        return;
      }
      const f = followAnswer(m.answers, qname, type);
      for (const c of f.chain) this.cache.putRRset([c]);
      this.cache.putRRset(f.records);
      const soa = m.authorities.find((r) => r.type === DnsType.SOA && isSubdomain(f.final, r.name));
      this.conclude(f, m.rcode, soa, type, where, finish);
    });
  }

  /** What an answer section (plus rcode and SOA) means, cached and passed on. */
  private conclude(f: Followed, rcode: number, soa: DnsRecord | undefined, type: number, where: string, finish: (o: Outcome) => void): void {
    if (rcode === Rcode.NXDOMAIN) {
      this.cache.putNegative('nxdomain', f.final, type, soa);
      finish({ ok: false, code: 'NXDOMAIN', message: nxdomainMessage(f.final, where), chain: f.chain, soa, fromCache: false });
    } else if (f.records.length > 0) {
      finish({ ok: true, chain: f.chain, records: f.records, fromCache: false });
    } else {
      this.cache.putNegative('nodata', f.final, type, soa);
      finish({ ok: false, code: 'NODATA', message: nodataMessage(f.final, type, where), chain: f.chain, soa, fromCache: false });
    }
  }

  // ---- iterative mode ----

  private iterate(job: Job, qname: string, type: number, depth: number, chain: DnsRecord[], finish: (o: Outcome) => void): void {
    if (job.useCache) {
      const c = this.fromCache(qname, type);
      if (c?.hit) {
        const o = cacheOutcome(c.chain, c.hit, c.final);
        finish({ ...o, chain: [...chain, ...o.chain], fromCache: job.steps.length === 0 && chain.length === 0 });
        return;
      }
      if (c && c.chain.length > 0) {
        chain = [...chain, ...c.chain];
        qname = c.final;
      }
    }
    // Start at the closest zone whose servers we know, or at the root (RFC 1034 5.3.3 step 2).
    let zone = qname;
    let servers: NameServer[] | undefined;
    if (job.useCache) {
      for (;;) {
        servers = this.cache.delegation(zone);
        if (servers || zone === '') break;
        zone = zone.includes('.') ? zone.slice(zone.indexOf('.') + 1) : '';
      }
    }
    if (!servers) {
      zone = '';
      servers = [...this.options.roots];
    }
    if (servers.length === 0) {
      finish({ ok: false, code: 'NO_SERVER', message: 'No root servers are configured for iterative resolution.', chain, fromCache: false });
      return;
    }
    this.askZone(job, zone, servers, qname, type, depth, chain, finish);
  }

  private askZone(job: Job, zone: string, servers: NameServer[], qname: string, type: number, depth: number, chain: DnsRecord[], finish: (o: Outcome) => void): void {
    const isLocal = this.options.isLocal;
    const rank = (s: NameServer) => (s.address === undefined ? 2 : isLocal?.(s.address) ? 1 : 0);
    const order = servers.map((s) => ({ ...s })).sort((a, b) => rank(a) - rank(b));
    let timeouts = 0;
    let lastProblem = '';
    const zoneText = displayName(zone);
    const tryServer = (i: number): void => {
      if (i >= order.length) {
        const all = timeouts === order.length;
        finish({
          ok: false,
          code: all ? 'TIMEOUT' : 'SERVFAIL',
          message: all
            ? `None of the ${order.length} servers for ${zoneText} answered (${this.options.attempts} tries each). Is the peer connected, and is the link dropping everything?`
            : `No server for ${zoneText} gave a usable answer for ${displayName(qname)}${lastProblem ? `: ${lastProblem}` : '.'}`,
          chain,
          fromCache: false,
        });
        return;
      }
      if (job.queries >= this.options.maxQueries) {
        finish({ ok: false, code: 'SERVFAIL', message: `Gave up on ${displayName(qname)} after ${job.queries} queries (a referral loop or a broken zone).`, chain, fromCache: false });
        return;
      }
      const s = order[i];
      if (s.address === undefined) {
        // A name server without glue: find its address first (RFC 1034 5.3.3 step 4, "resolve the name server's address").
        if (depth >= MAX_DEPTH) return tryServer(i + 1);
        this.iterate(job, s.name, DnsType.A, depth + 1, [], (o) => {
          const a = o.ok ? o.records.find((r) => r.data.kind === 'A') : undefined;
          if (a && a.data.kind === 'A') {
            s.address = a.data.address;
            tryServer(i);
          } else tryServer(i + 1);
        });
        return;
      }
      const where = `${s.name} (${formatIpv4(s.address)})`;
      this.exchange(job, { server: s.address, serverName: s.name, zone, name: qname, type, rd: false }, (x) => {
        if (x.kind !== 'response') {
          if (x.kind === 'timeout') timeouts++;
          lastProblem = x.message;
          tryServer(i + 1);
          return;
        }
        const m = x.message;
        if (m.tc) {
          lastProblem = truncatedMessage(qname, where);
          tryServer(i + 1);
          return;
        }
        if (m.rcode !== Rcode.NOERROR && m.rcode !== Rcode.NXDOMAIN) {
          lastProblem = rcodeFailure(m.rcode, qname, where).message;
          tryServer(i + 1);
          return;
        }
        // Bailiwick: believe only what is inside the zone this server was asked about.
        const inZone = (r: DnsRecord) => isSubdomain(r.name, zone);
        const f = followAnswer(m.answers.filter(inZone), qname, type);
        for (const c of f.chain) this.cache.putRRset([c]);
        this.cache.putRRset(f.records);
        const soa = m.authorities.find((r) => r.type === DnsType.SOA && inZone(r) && isSubdomain(f.final, r.name));
        const all = [...chain, ...f.chain];
        if (m.rcode === Rcode.NXDOMAIN || f.records.length > 0) {
          this.conclude({ ...f, chain: all }, m.rcode, soa, type, where, finish);
          return;
        }
        if (f.chain.length > 0) {
          // A CNAME whose target this server does not hold: start again for the target.
          if (all.length > MAX_CNAMES) {
            finish({ ok: false, code: 'LOOP', message: `More than ${MAX_CNAMES} CNAMEs from ${displayName(chain[0]?.name ?? qname)}: a loop, or a chain too long to follow.`, chain: all, fromCache: false });
            return;
          }
          this.iterate(job, f.final, type, depth, all, finish);
          return;
        }
        // A referral: NS records for a zone below the one asked, above the name (RFC 1034 4.3.2 step 3b).
        const ns = m.authorities.filter((r) => r.type === DnsType.NS && r.data.kind === 'NS' && isSubdomain(f.final, r.name) && isSubdomain(r.name, zone) && !sameName(r.name, zone));
        if (ns.length > 0) {
          const child = ns[0].name;
          const next: NameServer[] = ns
            .filter((r) => sameName(r.name, child))
            .map((r) => {
              const target = r.data.kind === 'NS' ? r.data.target : '';
              const glue = m.additionals.find((g) => g.type === DnsType.A && g.data.kind === 'A' && sameName(g.name, target) && inZone(g));
              return glue && glue.data.kind === 'A' ? { name: target, address: glue.data.address } : { name: target };
            });
          this.cache.putDelegation(child, next, Math.min(...ns.map((r) => r.ttl)));
          this.askZone(job, child, next, f.final, type, depth, all, finish);
          return;
        }
        if (!soa && !m.aa) {
          // Neither an answer, nor a referral further down, nor an authoritative "no data": a lame server.
          lastProblem = `${where} gave neither an answer nor a referral below ${zoneText}`;
          tryServer(i + 1);
          return;
        }
        this.conclude({ ...f, chain: all }, Rcode.NOERROR, soa, type, where, finish);
      });
    };
    tryServer(0);
  }

  // ---- the cache ----

  /** Follows CNAMEs through the cache: a full answer (hit), or how far the chain got. */
  private fromCache(qname: string, type: number): { chain: DnsRecord[]; final: string; hit?: CacheHit } | undefined {
    const chain: DnsRecord[] = [];
    let name = qname;
    for (let i = 0; i <= MAX_CNAMES; i++) {
      const hit = this.cache.get(name, type);
      if (hit) return { chain, final: name, hit };
      const c = type === DnsType.CNAME ? undefined : this.cache.get(name, DnsType.CNAME);
      const rec = c?.kind === 'rrset' ? c.records[0] : undefined;
      if (!rec || rec.data.kind !== 'CNAME') break;
      chain.push(rec);
      name = rec.data.target;
    }
    return chain.length > 0 ? { chain, final: name } : undefined;
  }

  // ---- one query ----

  /** Sends one query (with its retries) from a fresh socket; calls back once. */
  private exchange(job: Job, q: { server: Ipv4Addr; serverName?: string; zone?: string; name: string; type: number; rd: boolean }, done: (x: Exchange) => void): void {
    const ctx = this.host.ctx;
    const port = this.options.port;
    const question = `${displayName(q.name)} ${typeName(q.type)}`;
    const where = q.serverName ? `${q.serverName} (${formatIpv4(q.server)})` : formatIpv4(q.server);
    job.queries++;
    const step: ResolutionStep = { server: q.server, serverName: q.serverName, zone: q.zone, question, id: 0, srcPort: 0, attempts: 0, sentAt: ctx.now, outcome: 'timeout', summary: '', records: [] };
    let sock: UdpSocket;
    try {
      // A fresh ephemeral port per query, chosen at random by the UDP layer (RFC 5452 9.2).
      sock = this.host.udp.bind(0);
    } catch (err) {
      step.outcome = 'error';
      step.summary = err instanceof Error ? err.message : String(err);
      this.record(job, step);
      done({ kind: 'error', step, message: step.summary });
      return;
    }
    step.srcPort = sock.localPort;
    const ids: number[] = [];
    let lastSent = ctx.now;
    let finished = false;
    const owner = `${formatIpv4(q.server)} ${question}`;
    const end = (x: Exchange) => {
      if (finished) return;
      finished = true;
      timer.cancel();
      sock.close();
      this.record(job, step);
      done(x);
    };
    const timer = ctx.scheduler.timer(() => {
      ctx.timer('fire', 'dns-timeout', owner);
      this.trace('timeout', question, q.server, step.id, `no answer from ${where} within ${this.options.timeoutMs} ms (attempt ${step.attempts} of ${this.options.attempts})`);
      if (step.attempts < this.options.attempts) send();
      else {
        step.outcome = 'timeout';
        step.summary = `no answer after ${step.attempts} tries`;
        end({ kind: 'timeout', step, message: `No answer from ${where} after ${step.attempts} tries of ${this.options.timeoutMs / 1000} s each. Is the peer connected, and is the link dropping everything?` });
      }
    }, 'dns-timeout');
    const send = () => {
      const id = this.rng.int(0x10000);
      ids.push(id);
      step.id = id;
      step.attempts++;
      lastSent = ctx.now;
      try {
        sock.sendTo(q.server, port, dnsBytes(dnsQuery(id, q.name, q.type, q.rd)));
      } catch (err) {
        step.outcome = 'error';
        step.summary = err instanceof Error ? err.message : String(err);
        end({ kind: 'error', step, message: step.summary });
        return;
      }
      this.trace('query', question, q.server, id, `${q.rd ? 'recursion desired' : 'iterative'} query to ${where}${step.attempts > 1 ? `, attempt ${step.attempts}` : ''}`);
      timer.set(ctx.now + this.options.timeoutMs);
      ctx.timer('start', 'dns-timeout', owner, ctx.now + this.options.timeoutMs);
    };
    sock.onMessage = (msg: UdpMessage) => {
      const parsed = parseDns(msg.data);
      const problem = mismatch(msg, parsed.ok ? parsed.value : undefined, parsed.ok ? '' : parsed.error.detail, q, port, ids);
      if (problem || !parsed.ok) {
        // RFC 5452 9.1: not our answer. Keep waiting for the real one.
        ctx.drop('app', 'unexpected-response', `DNS response ignored: ${problem}`, undefined, msg.data.length);
        this.trace('ignored', question, msg.from.addr, parsed.ok ? parsed.value.id : undefined, problem);
        return;
      }
      const m = parsed.value;
      step.rttMs = ctx.now - lastSent;
      step.id = m.id;
      step.rcode = m.rcode;
      step.aa = m.aa;
      step.records = [...m.answers, ...m.authorities, ...m.additionals].filter((r) => r.type !== DnsType.OPT).map((r) => formatRecord(r));
      const c = classify(m, q.name, q.type);
      step.outcome = c.outcome;
      step.summary = c.summary;
      this.trace('response', question, q.server, m.id, `${c.summary} (${step.rttMs} ms)`);
      end({ kind: 'response', message: m, step });
    };
    sock.onError = (err) => {
      step.outcome = 'unreachable';
      step.summary = err.message;
      end({ kind: 'unreachable', step, message: `${where} does not run a DNS server: ${err.message}.` });
    };
    send();
  }

  private record(job: Job, step: ResolutionStep): void {
    job.steps.push(step);
    job.onStep?.(step);
  }

  private trace(what: 'query' | 'response' | 'ignored' | 'timeout', question: string, peer: Ipv4Addr, id: number | undefined, detail: string): void {
    const ctx = this.host.ctx;
    if (ctx.tracing) ctx.emit({ type: 'dns', t: ctx.now, host: ctx.hostName, role: 'resolver', what, question, peer, id, detail });
  }

  private resolution(name: string, type: number, job: Job, o: Outcome, startedAt: number, literal: boolean): Resolution {
    const records = o.ok ? [...o.chain, ...o.records] : o.chain;
    const cnames = o.chain.flatMap((r) => (r.data.kind === 'CNAME' ? [{ from: r.name, to: r.data.target }] : []));
    const base: ResolutionBase = {
      name,
      type,
      mode: job.mode,
      fromCache: o.fromCache,
      literal,
      cnames,
      canonicalName: cnames.at(-1)?.to ?? name,
      steps: job.steps,
      elapsedMs: this.host.ctx.now - startedAt,
      records,
    };
    if (o.ok) {
      const addresses = o.records.flatMap((r) => (r.data.kind === 'A' ? [r.data.address] : []));
      const ttl = records.length > 0 ? Math.min(...records.map((r) => r.ttl)) : 0;
      return { ...base, ok: true, addresses, answers: o.records, ttl };
    }
    return { ...base, ok: false, error: { code: o.code, message: o.message }, soa: o.soa };
  }
}

// ---- helpers ----

interface Followed {
  chain: DnsRecord[];
  final: string;
  records: DnsRecord[];
}

/** The answer section from `qname`: CNAMEs to the end of the chain, then the records of the type there. */
function followAnswer(answers: DnsRecord[], qname: string, type: number): Followed {
  const chain: DnsRecord[] = [];
  let name = qname;
  for (let i = 0; i <= MAX_CNAMES; i++) {
    const here = answers.filter((r) => sameName(r.name, name) && (r.class === DnsClass.IN || r.class === DnsClass.ANY));
    const records = here.filter((r) => r.type === type || (type === DnsType.ANY && r.type !== DnsType.OPT));
    if (records.length > 0) return { chain, final: name, records };
    const cname = here.find((r) => r.type === DnsType.CNAME);
    if (!cname || cname.data.kind !== 'CNAME' || type === DnsType.CNAME || chain.includes(cname)) break;
    chain.push(cname);
    name = cname.data.target;
  }
  return { chain, final: name, records: [] };
}

function cacheOutcome(chain: DnsRecord[], hit: CacheHit, final: string): Outcome {
  if (hit.kind === 'rrset') return { ok: true, chain, records: hit.records, fromCache: true };
  const code = hit.kind === 'nxdomain' ? 'NXDOMAIN' : 'NODATA';
  const message = hit.kind === 'nxdomain' ? `${displayName(final)} does not exist (remembered from an earlier answer for ${hit.soa.ttl} s more, RFC 2308).` : `${displayName(final)} has no record of that type (remembered from an earlier answer for ${hit.soa.ttl} s more).`;
  return { ok: false, code, message, chain, soa: hit.soa, fromCache: true };
}

/** Why a datagram is not the answer to our query, or '' when it is (RFC 5452 9.1). */
function mismatch(msg: UdpMessage, m: DnsMessage | undefined, parseError: string, q: { server: Ipv4Addr; name: string; type: number }, port: number, ids: number[]): string {
  if (msg.from.addr !== q.server) return `it came from ${formatIpv4(msg.from.addr)}, not from the server asked (${formatIpv4(q.server)})`;
  if (msg.from.port !== port) return `it came from port ${msg.from.port}, not ${port}`;
  if (!m) return `it could not be read: ${parseError}`;
  if (!m.qr) return 'it is a query, not a response';
  if (!ids.includes(m.id)) return `its ID 0x${m.id.toString(16).padStart(4, '0')} is not the ID we sent (0x${ids[ids.length - 1].toString(16).padStart(4, '0')})`;
  // An error answer may leave the question out (RFC 1035 4.1.1 does not require it).
  if (m.questions.length === 0 && m.rcode !== Rcode.NOERROR) return '';
  const qq = m.questions[0];
  if (m.questions.length !== 1 || !sameName(qq.name, q.name) || qq.type !== q.type || (qq.class !== DnsClass.IN && qq.class !== DnsClass.ANY)) {
    return `it answers ${qq ? `${displayName(qq.name)} ${typeName(qq.type)}` : 'no question'}, not the question asked (${displayName(q.name)} ${typeName(q.type)})`;
  }
  return '';
}

/** What a response says, in a few words, for a step of the demo. */
function classify(m: DnsMessage, qname: string, type: number): { outcome: ResolutionStep['outcome']; summary: string } {
  if (m.tc) return { outcome: 'truncated', summary: 'truncated (TC): too big for UDP' };
  if (m.rcode === Rcode.NXDOMAIN) return { outcome: 'nxdomain', summary: `NXDOMAIN: ${displayName(qname)} does not exist` };
  if (m.rcode !== Rcode.NOERROR) return { outcome: 'error', summary: rcodeName(m.rcode) };
  const f = followAnswer(m.answers, qname, type);
  if (f.records.length > 0) return { outcome: 'answer', summary: `${m.aa ? 'authoritative ' : ''}answer: ${[...f.chain, ...f.records].map((r) => formatRecord(r)).join(', ')}` };
  if (f.chain.length > 0) return { outcome: 'cname', summary: `CNAME: ${f.chain.map((r) => formatRecord(r)).join(', ')}` };
  const ns = m.authorities.filter((r) => r.type === DnsType.NS && r.data.kind === 'NS');
  if (ns.length > 0) {
    const servers = ns.map((r) => {
      const target = r.data.kind === 'NS' ? r.data.target : '';
      const glue = m.additionals.find((g) => g.data.kind === 'A' && sameName(g.name, target));
      return `${displayName(target)}${glue && glue.data.kind === 'A' ? ` ${formatIpv4(glue.data.address)}` : ''}`;
    });
    return { outcome: 'referral', summary: `referral to ${displayName(ns[0].name)} (${servers.join(', ')})` };
  }
  return { outcome: 'nodata', summary: `NODATA: ${displayName(qname)} has no ${typeName(type)} record` };
}

function rcodeFailure(rcode: number, name: string, where: string): Outcome & { ok: false } {
  if (rcode === Rcode.REFUSED) {
    return { ok: false, code: 'REFUSED', message: `${where} refused to answer for ${displayName(name)} (REFUSED): it is not authoritative for it and does not recurse for you.`, chain: [], fromCache: false };
  }
  return { ok: false, code: 'SERVFAIL', message: `${where} could not answer for ${displayName(name)} (${rcodeName(rcode)}); try again, or try iterative mode to see where it fails.`, chain: [], fromCache: false };
}

function nxdomainMessage(name: string, where: string): string {
  return `${displayName(name)} does not exist (NXDOMAIN from ${where}). Check the spelling: lab names look like www.bob.lab.`;
}

function nodataMessage(name: string, type: number, where: string): string {
  return `${displayName(name)} exists but has no ${typeName(type)} record (answer from ${where}).`;
}

function truncatedMessage(name: string, where: string): string {
  return `The answer for ${displayName(name)} from ${where} did not fit in a UDP message (TC set), and DNS over TCP is not implemented here.`;
}
