/**
 * Vocabulary of the link conditioner panel: fates in display order and their
 * tone, the hold filters a person can pick, the presets in teaching order.
 * Labels live in the dictionaries under keys built from these names.
 */

import type { Fate, FrameFilter, PresetName } from '../../../worker/link/conditioner';

export type { Fate };

/** Every fate, in the order the counters list them: losses first, then damage, then timing, then holds. */
export const FATES: readonly Fate[] = [
  'lost-random',
  'lost-burst',
  'queue-full',
  'too-big',
  'unplugged',
  'dropped',
  'link-busy',
  'corrupted',
  'duplicated',
  'reordered',
  'delayed',
  'queued',
  'held',
  'released',
];

/** How a fate is coloured: the frame died, was damaged, was copied or reordered, waited, or was held by hand. */
export type FateTone = 'lost' | 'damaged' | 'changed' | 'timed' | 'held';

export function fateTone(fate: Fate): FateTone {
  switch (fate) {
    case 'lost-random':
    case 'lost-burst':
    case 'queue-full':
    case 'too-big':
    case 'unplugged':
    case 'dropped':
    case 'link-busy':
      return 'lost';
    case 'corrupted':
      return 'damaged';
    case 'duplicated':
    case 'reordered':
      return 'changed';
    case 'delayed':
    case 'queued':
      return 'timed';
    case 'held':
    case 'released':
      return 'held';
  }
}

/** The frames "Hold next…" can wait for. */
export type HoldFilterName = 'any' | 'arp' | 'icmp' | 'udp' | 'tcp-fin' | 'tcp-synack';

export const HOLD_FILTERS: Readonly<Record<HoldFilterName, FrameFilter>> = {
  any: {},
  arp: { protocol: 'arp' },
  icmp: { protocol: 'icmp' },
  udp: { protocol: 'udp' },
  'tcp-fin': { protocol: 'tcp', tcpFlags: 'F' },
  'tcp-synack': { protocol: 'tcp', tcpFlags: 'SA' },
};

export const HOLD_FILTER_NAMES = Object.keys(HOLD_FILTERS) as HoldFilterName[];

/** Presets from the best link to the worst, the order a lesson walks through them. */
export const PRESET_NAMES: readonly PresetName[] = ['perfect', 'lan', 'wifi', 'lossy-wifi', '4g', 'satellite', 'congested'];

/** The collapsible groups of knobs; open state is shared by both directions so their rows line up. */
export type SectionName = 'delay' | 'loss' | 'damage' | 'rate';

export const SECTIONS: readonly SectionName[] = ['delay', 'loss', 'damage', 'rate'];

/** A frame waiting in a conditioner, summarised for the list. */
export interface WaitingFrame {
  /** Unique in the list (a duplicated frame waits twice under one id). */
  key: string;
  /** The conditioner's id for the frame (what act() takes). */
  id: number;
  frameId: number | undefined;
  state: 'held' | 'delayed';
  departAt: number | undefined;
  protocol: string;
  route: string;
  info: string;
}

/** A "Hold next…" rule that is still waiting for frames. */
export interface PendingHold {
  id: number;
  remaining: number;
  filter: HoldFilterName;
}

/** One fate of one frame, as the frame log shows it. */
export interface FateMark {
  fate: Fate;
  delayMs: number | undefined;
}
