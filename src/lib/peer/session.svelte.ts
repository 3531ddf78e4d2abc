/**
 * A pairing, as this tab lives it: the signaling connection and room, the
 * WebRTC link to the other tab (rebuilt whenever either side comes back), the
 * stack worker running this tab's host, and the control conversation
 * (identities, clock offset, conditioner settings, clock mode).
 *
 *   create()/join(code) ──signaling──▶ joined {host, initiator}
 *        └─▶ worker: startPair(host, port)      (once; survives peer reloads)
 *        └─▶ PeerLink(initiator) ◀─SDP/ICE─▶ peer
 *                 ├─ frame channel ◀─MessagePort─▶ worker's NIC
 *                 └─ control channel: hello, ping/pong, link, sim, trace
 *
 * The worker's lab is started once per page: when the peer reloads, only the
 * WebRTC link is rebuilt, and TCP connections survive the outage as they
 * would a pulled cable. This page's own reload rejoins the room with the token
 * kept in sessionStorage and gets the same host number (and so the same
 * addresses) back.
 *
 * The ladder of each tab shows both hosts: every FLUSH_MS our host's frames,
 * states and timers go to the peer as a `trace` message (bounded, see
 * peer-trace.ts), and the peer's are mapped onto our timeline with the clock
 * offset (timeline.ts) and handed to the lab's peer listeners.
 */

import { urlParam } from '../prefs';
import { formatIpv4, formatMac } from '../../../worker/wire/addr';
import { HOST_SPECS } from '../../../worker/host-plan';
import type { ConditionerSettings, FateCounters } from '../../../worker/link/conditioner';
import type { ErrorCode, HostNumber, JoinedMessage, JsonObject, PeerLeftReason } from '../../../signaling/protocol';
import { formatRoomCode } from '../../../signaling/protocol';
import { LabState } from '../../panels/lab/lab.svelte';
import { stack } from '../stack/client';
import { SignalingClient, signalingUrl, type SignalingStatus } from './signaling-client';
import { PeerLink, type PeerLinkStats, type PeerLinkStatus } from './peer-link';
import { CONTROL_VERSION, ClockEstimator, type ControlMessage, type HelloMessage } from './control';
import { FLUSH_MS, PeerTraceExporter, PeerTraceImporter, type LocalClock } from './peer-trace';
import { stackError, wallToStack, type ClockAnchor } from './timeline';
import type { DriverState } from '../../../worker/sim/driver';

const PING_MS = 1000;

export type PeerPresence = 'waiting' | 'connecting' | 'connected' | 'away' | 'gone';

export interface PairOptions {
  /** STUN/TURN servers (none by default: LAN use). */
  iceServers?: RTCIceServer[];
  /** 'relay': only TURN-relayed candidates (a demo of a relayed path). Default 'all'. */
  iceTransportPolicy?: RTCIceTransportPolicy;
}

export class PairSession {
  readonly lab = new LabState();
  signaling = $state<SignalingStatus>('closed');
  room = $state<string | undefined>(undefined);
  host = $state<HostNumber | undefined>(undefined);
  presence = $state<PeerPresence>('waiting');
  link = $state.raw<PeerLinkStatus>({ ice: 'new', frames: 'new', control: 'new' });
  peer = $state.raw<HelloMessage | undefined>(undefined);
  /** Round trip over the control channel, ms. */
  rtt = $state<number | undefined>(undefined);
  /** Peer clock minus ours, ms. */
  clockOffset = $state<{ offset: number; error: number } | undefined>(undefined);
  error = $state<{ code: ErrorCode | 'webrtc' | 'version' | 'ice-config'; message: string } | undefined>(undefined);
  /** How many times the WebRTC link has been (re)built. */
  links = $state(0);
  stats = $state.raw<PeerLinkStats | undefined>(undefined);

  private readonly client: SignalingClient;
  private peerLink: PeerLink | undefined;
  /** Where frames cross between the data channel and the stack: straight into the worker, or relayed by this page. */
  framePath = $state<'worker' | 'page' | undefined>(undefined);
  private pagePort: MessagePort | undefined;
  private readonly clock = new ClockEstimator();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pingId = 0;
  private stopEffects: (() => void) | undefined;
  /** Our host's ladder events for the peer, and the peer's for our ladder. */
  private exporter: PeerTraceExporter | undefined;
  private readonly importer = new PeerTraceImporter();
  private traceTimer: ReturnType<typeof setInterval> | undefined;
  private stopTrace: (() => void) | undefined;

  /** The STUN/TURN servers this pairing uses (shown in the connection status). */
  readonly iceServers: readonly RTCIceServer[];
  readonly iceTransportPolicy: RTCIceTransportPolicy;

  constructor(options: PairOptions = {}) {
    this.iceServers = options.iceServers ?? [];
    this.iceTransportPolicy = options.iceTransportPolicy ?? 'all';
    this.client = new SignalingClient({ url: signalingUrl(location) });
    this.client.onStatus = (s) => (this.signaling = s);
    this.client.onJoined = (m) => void this.onJoined(m);
    this.client.onPeerJoined = () => this.buildLink(false);
    this.client.onPeerLeft = (_h, reason) => this.onPeerLeft(reason);
    this.client.onSignal = (data) => this.peerLink?.signal(data);
    this.client.onError = (e) => (this.error = e);
    this.lab.onUserClock = (mode, speed) => this.send({ t: 'sim', mode, speed });
  }

  /** The room code as people read it ("ABC-234"). */
  get code(): string | undefined {
    return this.room === undefined ? undefined : formatRoomCode(this.room);
  }

  /** A link that opens this room in another browser. */
  get invite(): string | undefined {
    if (this.room === undefined) return undefined;
    const url = new URL(location.href);
    url.search = '';
    url.hash = '';
    url.searchParams.set('room', this.room);
    return url.toString();
  }

  get me(): { name: string; ip: string; mac: string } | undefined {
    const h = this.lab.hosts[0];
    return h ? { name: h.name, ip: formatIpv4(h.address), mac: formatMac(h.mac) } : undefined;
  }

  create(): void {
    this.error = undefined;
    this.client.create();
  }

  /** False if the code cannot be a room code (the UI says so). */
  join(code: string): boolean {
    this.error = undefined;
    return this.client.join(code);
  }

  /** Leaves the room for good. */
  leave(): void {
    this.send({ t: 'bye' });
    this.client.leave();
    this.dropLink();
    this.stop();
  }

  stop(): void {
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    if (this.traceTimer !== undefined) clearInterval(this.traceTimer);
    this.traceTimer = undefined;
    this.stopTrace?.();
    this.stopEffects?.();
    this.lab.stop();
  }

  private async onJoined(m: JoinedMessage): Promise<void> {
    this.room = m.room;
    this.error = undefined;
    // The address bar holds the room, so a reload (or a bookmark) comes back to it.
    const url = new URL(location.href);
    if (url.searchParams.get('room') !== m.room) {
      url.searchParams.set('room', m.room);
      history.replaceState(null, '', url);
    }
    if (this.host !== undefined && this.host !== m.host) {
      // A different seat than the stack was started with (the old one expired): start over.
      location.reload();
      return;
    }
    this.presence = m.peerPresent ? 'connecting' : 'waiting';
    if (this.host === undefined) {
      this.host = m.host;
      const channel = new MessageChannel();
      this.pagePort = channel.port1;
      await this.lab.startPair(m.host, channel.port2);
      this.watchLocalSettings();
      this.pingTimer = setInterval(() => this.tick(), PING_MS);
      const me = this.lab.hosts[0]?.name;
      if (me) {
        const exporter = (this.exporter = new PeerTraceExporter(me));
        this.stopTrace = this.lab.subscribe((batch) => exporter.add(batch));
        this.traceTimer = setInterval(() => this.flushTrace(), FLUSH_MS);
      }
    }
    if (m.initiator) this.buildLink(true);
  }

  private onPeerLeft(reason: PeerLeftReason): void {
    // 'disconnected': its signaling socket dropped. The WebRTC link may well be
    // alive still; it is rebuilt when the peer is back (peer-joined).
    if (reason === 'disconnected') {
      if (this.link.frames !== 'open') this.presence = 'away';
      return;
    }
    this.presence = reason === 'left' ? 'gone' : 'away';
    this.dropLink();
  }

  private buildLink(initiator: boolean): void {
    const port = this.pagePort;
    if (!port) return;
    this.dropLink();
    this.presence = 'connecting';
    this.links++;
    let link: PeerLink;
    try {
      link = this.newLink(initiator, port);
    } catch (err) {
      // The browser refused the STUN/TURN settings: they pass our check first, so only a browser stricter than it.
      this.error = { code: 'ice-config', message: err instanceof Error ? err.message : String(err) };
      return;
    }
    this.peerLink = link;
    this.link = { ...link.status };
    this.framePath = link.transferred ? 'worker' : 'page';
  }

  private newLink(initiator: boolean, port: MessagePort): PeerLink {
    const link: PeerLink = new PeerLink({
      initiator,
      framePort: port,
      iceServers: [...this.iceServers],
      iceTransportPolicy: this.iceTransportPolicy,
      relayInPage: urlParam('frames') === 'page',
      onSignal: (data) => this.client.signal(data as JsonObject),
      onStatus: (s) => {
        if (this.peerLink !== link) return;
        this.link = s;
        if (s.frames === 'open') this.presence = 'connected';
        if (s.control === 'open') this.sayHello();
      },
      onControl: (msg) => {
        if (this.peerLink === link) void this.onControl(msg);
      },
      onClosed: (reason) => {
        if (this.peerLink !== link) return;
        this.peerLink = undefined;
        this.link = { ...link.status };
        if (this.presence === 'connected' || this.presence === 'connecting') this.presence = 'away';
        if (!reason.includes('closed by us') && !reason.includes('peer connection closed')) this.error = { code: 'webrtc', message: reason };
      },
    });
    return link;
  }

  private dropLink(): void {
    const old = this.peerLink;
    this.peerLink = undefined;
    old?.destroy();
    this.rtt = undefined;
  }

  private send(m: ControlMessage): void {
    this.peerLink?.sendControl(m);
  }

  private sayHello(): void {
    const me = this.me;
    if (!me || this.host === undefined) return;
    this.send({ t: 'hello', version: CONTROL_VERSION, name: me.name, host: this.host, mac: me.mac, ip: me.ip });
    // A clock offset at once, not in a second: the peer's trace waits for one.
    this.send({ t: 'ping', id: ++this.pingId, sent: wallNow() });
    this.sendLink();
    const clock = this.lab.clock;
    if (clock) this.send({ t: 'sim', mode: clock.mode, speed: clock.speed });
  }

  private async onControl(m: ControlMessage): Promise<void> {
    switch (m.t) {
      case 'hello':
        if (m.version !== CONTROL_VERSION) this.error = { code: 'version', message: `The other tab runs a different wiretab (control protocol ${m.version}, ours ${CONTROL_VERSION}). Reload both tabs.` };
        this.peer = m;
        break;
      case 'ping':
        this.send({ t: 'pong', id: m.id, sent: m.sent, at: wallNow() });
        break;
      case 'pong':
        this.clock.add(m.sent, m.at, wallNow());
        this.rtt = this.clock.rtt;
        this.clockOffset = this.clock.offset;
        this.mergePeerTrace();
        break;
      case 'link': {
        const peerHost = HOST_SPECS.find((h) => h.name !== this.me?.name)?.name;
        const d = peerHost ? this.lab.link.direction(peerHost) : undefined;
        const { fates, ...settings } = m.settings as Record<string, unknown>;
        if (d && looksLikeSettings(settings)) d.applyRemote(settings, (fates ?? {}) as FateCounters);
        break;
      }
      case 'sim':
        await this.lab.applyClock(m.mode, m.speed);
        break;
      case 'trace':
        this.importer.receive(m, wallNow());
        this.mergePeerTrace();
        break;
      case 'bye':
        this.presence = 'gone';
        break;
    }
  }

  /** Sends what our host did since the last flush (nothing while the control channel is down: it is dropped). */
  private flushTrace(): void {
    const exporter = this.exporter;
    const clock = this.lab.clock;
    if (!exporter) return;
    if (!this.peerLink || this.link.control !== 'open' || !clock) {
      exporter.discard();
      return;
    }
    for (const m of exporter.flush(anchorOf(clock))) this.send(m);
  }

  /** The peer's events held so far, on our timeline, to the ladder; and how well they fit, for its notes. */
  private mergePeerTrace(): void {
    const clock = this.lab.clock;
    const local: LocalClock | undefined = clock ? { anchor: anchorOf(clock), now: stackNow(clock) } : undefined;
    const events = this.importer.take(local, this.clockOffset?.offset);
    if (events.length > 0) this.lab.publishPeer(events);
    const peer = this.peer?.name ?? HOST_SPECS.find((h) => h.name !== this.me?.name)?.name ?? '';
    const error = this.clockOffset && local ? stackError(this.clockOffset.error, local.anchor) : undefined;
    const skipped = this.importer.peerSkipped + this.importer.refused;
    const now = this.lab.peerTrace;
    if (!now || now.peer !== peer || now.error !== error || now.skipped !== skipped) this.lab.peerTrace = { peer, error, skipped };
  }

  /** Once a second: a clock ping, the link stats, our conditioner's counters for the peer's panel. */
  private tick(): void {
    if (this.peerLink) {
      this.send({ t: 'ping', id: ++this.pingId, sent: wallNow() });
      this.stats = { ...this.peerLink.stats };
      // The worker owns the frame channel (frames never pass this page): its NIC counts them.
      if (this.peerLink.transferred && this.lab.status === 'ready') void this.readWorkerLinkStats(this.peerLink);
      this.sendLink();
    }
  }

  private async readWorkerLinkStats(link: PeerLink): Promise<void> {
    const w = await stack().linkStats();
    if (!w || this.peerLink !== link) return;
    this.stats = { ...link.stats, framesOut: w.framesOut, framesIn: w.framesIn, bytesOut: w.bytesOut, bytesIn: w.bytesIn, busyDrops: w.busyDrops, downDrops: w.downDrops };
  }

  private sendLink(): void {
    const d = this.me ? this.lab.link.direction(this.me.name) : undefined;
    if (!d) return;
    this.send({ t: 'link', settings: { ...(d.settings as unknown as Record<string, number | boolean | string>), fates: d.fates as Record<string, number> } });
  }

  /** Our conditioner settings go to the peer as soon as they change. */
  private watchLocalSettings(): void {
    this.stopEffects?.();
    this.stopEffects = $effect.root(() => {
      $effect(() => {
        const d = this.me ? this.lab.link.direction(this.me.name) : undefined;
        if (d) void d.settings;
        this.sendLink();
      });
    });
  }
}

function anchorOf(clock: DriverState): ClockAnchor {
  return { wall: clock.anchor.wall, stack: clock.anchor.stack, speed: clock.speed };
}

/** Our stack time now: moving with the wall clock while running (the polled `now` is up to 250 ms old), standing while paused. */
function stackNow(clock: DriverState): number {
  return clock.mode === 'running' ? Math.max(clock.now, wallToStack(wallNow(), anchorOf(clock))) : clock.now;
}

/** Milliseconds on a clock shared by the tabs' pages as closely as the OS allows. */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The peer's settings are only shown, never applied; still, show only what has the right shape. */
function looksLikeSettings(s: Record<string, unknown>): s is Record<string, unknown> & ConditionerSettings {
  const nums = ['delayMs', 'jitterMs', 'delayCorrelation', 'duplicatePercent', 'corruptPercent', 'reorderPercent', 'reorderGap', 'rateBps', 'overheadBytes', 'queueFrames', 'queueBytes', 'mtu'];
  const loss = s.loss as Record<string, unknown> | undefined;
  return (
    nums.every((k) => typeof s[k] === 'number') &&
    typeof s.keepOrder === 'boolean' &&
    typeof s.unplugged === 'boolean' &&
    typeof s.distribution === 'string' &&
    typeof loss === 'object' &&
    loss !== null &&
    (loss.model === 'random' || loss.model === 'gilbert-elliott')
  );
}
