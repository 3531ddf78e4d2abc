/**
 * The packet detail's dissector: a frame's bytes (plus what the stack knew
 * about it) in, a tree of layers and fields and the encapsulation spans out.
 * One module per protocol; application protocols register in apps.ts.
 * Untrusted bytes: every module checks lengths and reports "malformed"
 * nodes; nothing here throws.
 */

import { ethernet } from './ethernet';
import type { DissectState } from './state';
import { english, malformed, type DissectContext, type Dissection, type Tr } from './types';

export type { Dissection, DissectContext, Field, LayerSpan } from './types';
export { english, pathAt, type Tr } from './types';

/** `tr` translates the meanings and notes (the panel passes the current locale's `t`); English by default. */
export function dissect(frame: Uint8Array, ctx: DissectContext = {}, tr: Tr = english): Dissection {
  const s: DissectState = { buf: frame, ctx, tr, spans: [], quoted: false, ipSrc: 0, ipDst: 0 };
  try {
    return { tree: ethernet(s), spans: s.spans, frameLen: frame.length };
  } catch (err) {
    // A bug here must not take the page down: show it as a malformed frame.
    return { tree: [malformed(tr, 'frame', tr('dissect.malformed.bug', { error: err instanceof Error ? err.message : String(err) }), 0, frame.length)], spans: s.spans, frameLen: frame.length };
  }
}
