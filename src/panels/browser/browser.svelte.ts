/**
 * State of the mini browser: one host's web client (over our stack, through
 * the worker), an address bar with history, the page shown, and the waterfall
 * of every request it took: the document, its redirects, its stylesheets and
 * images. Fetching and inlining happen here; the component renders.
 */

import { stack, Comlink } from '../../lib/stack/client';
import type { LabState } from '../lab/lab.svelte';
import type { HttpExchange } from '../../../worker/apps/http/client';
import type { Resolution } from '../../../worker/apps/dns/resolver';
import { absoluteHttp, inlineResource, preparePage, textPage, toSrcdoc } from './page';

export interface PageView {
  url: string;
  status: number;
  statusText: string;
  /** The iframe's srcdoc. */
  srcdoc: string;
  title: string;
  /** Elements and attributes removed because they could run code or load things. */
  removed: number;
  fromCache: boolean;
}

export interface BrowseError {
  url: string;
  message: string;
}

/** What the waterfall draws: every exchange of the current navigation, in the order they started. */
export interface WaterfallRow extends HttpExchange {
  kind: 'document' | 'css' | 'img';
}

export class BrowserState {
  host = $state('');
  address = $state('http://www.bob.lab/');
  loading = $state(false);
  page = $state.raw<PageView | undefined>(undefined);
  error = $state.raw<BrowseError | undefined>(undefined);
  rows = $state.raw<WaterfallRow[]>([]);
  dns = $state.raw<Resolution[]>([]);
  /** Keep-alive pool (true) or one connection per request. */
  pool = $state(true);
  dnsMode = $state<'stub' | 'iterative'>('stub');
  stats = $state.raw<{ handshakes: number; requests: number; reusedRequests: number; cacheHits: number; revalidated: number; open: number } | undefined>(undefined);
  private history: string[] = [];
  private at = -1;
  canBack = $state(false);
  canForward = $state(false);
  private navigation = 0;
  /** The current load is the "whole story": cold caches, one connection per request, phases marked in the trace. */
  private story = false;

  constructor(private readonly lab: LabState) {}

  /** The host browsing: picked, else this tab's first host. */
  get shown(): string {
    const names = this.lab.hosts.map((h) => h.name);
    return names.includes(this.host) ? this.host : (names[0] ?? '');
  }

  /** A sensible first address: the other host's web site by name. */
  defaultAddress(): string {
    const other = this.lab.everyone.find((h) => h.name !== this.shown);
    return other ? `http://www.${other.name}.lab/` : 'http://10.0.0.2/';
  }

  pickHost(name: string): void {
    this.host = name;
    this.address = this.defaultAddress();
    void this.refreshStats();
  }

  go(text = this.address): Promise<void> {
    const url = normalise(text);
    this.history = this.history.slice(0, this.at + 1);
    this.history.push(url);
    this.at = this.history.length - 1;
    return this.load(url);
  }

  back(): Promise<void> {
    if (this.at <= 0) return Promise.resolve();
    this.at--;
    return this.load(this.history[this.at]!);
  }

  forward(): Promise<void> {
    if (this.at >= this.history.length - 1) return Promise.resolve();
    this.at++;
    return this.load(this.history[this.at]!);
  }

  reload(): Promise<void> {
    return this.at >= 0 ? this.load(this.history[this.at]!) : this.go();
  }

  /** Follows a link clicked in the page. */
  follow(href: string): void {
    const abs = absoluteHttp(href, this.page?.url ?? this.address);
    if (abs) void this.go(abs);
  }

  /**
   * "Type a URL", the whole story: forget the DNS and ARP caches and the
   * browser's connections, then load the page with one connection per request,
   * so DNS, ARP, the handshake, the request, the response, the render and the
   * close all happen, each marked in the ladder diagram.
   */
  async wholeStory(text = this.address): Promise<void> {
    await stack().coldStart(this.shown);
    this.story = true;
    try {
      await this.go(text);
    } finally {
      this.story = false;
    }
  }

  async resetClient(): Promise<void> {
    await stack().httpReset(this.shown);
    await this.refreshStats();
  }

  async refreshStats(): Promise<void> {
    if (this.lab.status !== 'ready' || !this.shown) return;
    this.stats = await stack().httpStats(this.shown);
  }

  private async load(url: string): Promise<void> {
    const nav = ++this.navigation;
    const host = this.shown;
    this.canBack = this.at > 0;
    this.canForward = this.at < this.history.length - 1;
    this.address = url;
    this.loading = true;
    this.error = undefined;
    this.rows = [];
    this.dns = [];
    const api = stack();
    const rows = new Map<number, WaterfallRow>();
    const seen = (kind: WaterfallRow['kind']) =>
      Comlink.proxy((x: HttpExchange) => {
        if (nav !== this.navigation) return;
        rows.set(x.id, { ...x, kind });
        this.rows = [...rows.values()].sort((a, b) => a.timing.start - b.timing.start || a.id - b.id);
      });
    try {
      const story = this.story;
      const options = { dnsMode: this.dnsMode, pool: story ? false : this.pool, marks: story };
      const r = await api.httpFetch(host, url, options, seen('document'));
      if (nav !== this.navigation) return;
      this.dns = r.dns;
      if (!r.ok) {
        this.error = { url, message: r.error?.message ?? 'The page could not be fetched.' };
        this.page = undefined;
        return;
      }
      // A redirect shows where it led, unless the reader has typed over the address meanwhile (as browsers do).
      if (this.address === url) this.address = r.url;
      const type = r.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
      const text = new TextDecoder().decode(r.body);
      let srcdoc: string;
      let title = r.url;
      let removed = 0;
      if (/^text\/html\b/i.test(type)) {
        const prepared = preparePage(text, r.url);
        removed = prepared.removed;
        title = prepared.doc.title || r.url;
        // Stylesheets and images, fetched over our stack one after another (as a simple browser would on one connection).
        for (const res of prepared.resources) {
          const sub = await api.httpFetch(host, res.url, options, seen(res.kind));
          if (nav !== this.navigation) return;
          if (sub.ok && sub.status === 200) {
            const subType = sub.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
            inlineResource(prepared.doc, res, sub.body, subType);
          }
        }
        srcdoc = toSrcdoc(prepared.doc);
      } else if (/^(text\/|application\/json)/i.test(type) || r.body.length === 0) {
        srcdoc = textPage(text, r.url);
      } else {
        srcdoc = textPage(`${r.body.length} bytes of ${type || 'unknown type'}: not shown.`, r.url);
      }
      this.page = { url: r.url, status: r.status, statusText: r.statusText, srcdoc, title, removed, fromCache: r.fromCache };
      if (story) await api.mark(host, 'render', title);
    } catch (err) {
      if (nav === this.navigation) this.error = { url, message: err instanceof Error ? err.message : String(err) };
    } finally {
      if (nav === this.navigation) {
        this.loading = false;
        void this.refreshStats();
      }
    }
  }
}

/** What a person types into a URL: "bob", "10.0.0.2/about.html", "http://www.bob.lab". */
export function normalise(text: string): string {
  const t = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `http://${t}`;
  try {
    return new URL(withScheme).href;
  } catch {
    return withScheme;
  }
}
