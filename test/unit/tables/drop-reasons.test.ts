/**
 * The counters table explains each drop reason (`tables.drop.<reason>`): every
 * reason the stack can count has its sentence. The record below must name
 * exactly the members of DropReason (the compiler checks both ways), so a new
 * reason fails here until it is explained.
 */
import { describe, expect, it } from 'vitest';
import type { DropReason } from '../../../worker/trace/events';
import { en } from '../../../src/lib/i18n/en';
import { zhCN } from '../../../src/lib/i18n/zh-CN';

const REASONS: Record<DropReason, true> = {
  truncated: true,
  'bad-checksum': true,
  'bad-length': true,
  'bad-offset': true,
  'bad-version': true,
  'bad-option': true,
  'bad-address': true,
  unsupported: true,
  'bad-pointer': true,
  'bad-name': true,
  malformed: true,
  'not-for-us': true,
  'nic-queue-full': true,
  'link-down': true,
  'too-big': true,
  'arp-failed': true,
  'arp-queue-full': true,
  'no-route': true,
  'not-forwarding': true,
  'ttl-exceeded': true,
  'frag-needed': true,
  martian: true,
  'reassembly-timeout': true,
  'reassembly-overlap': true,
  'reassembly-limit': true,
  'duplicate-fragment': true,
  'broadcast-echo': true,
  'unknown-protocol': true,
  'port-unreachable': true,
  'icmp-rate-limited': true,
  'socket-queue-full': true,
  'unexpected-response': true,
  'dns-busy': true,
};

describe('drop reasons', () => {
  it('every reason the stack can count is explained, in every language', () => {
    for (const dictionary of [en, zhCN] as Record<string, string>[]) {
      const missing = Object.keys(REASONS).filter((reason) => !Object.hasOwn(dictionary, `tables.drop.${reason}`));
      expect(missing).toEqual([]);
    }
  });

  it('explains no reason the stack does not have', () => {
    const extra = Object.keys(en)
      .filter((key) => key.startsWith('tables.drop.'))
      .map((key) => key.slice('tables.drop.'.length))
      .filter((reason) => !Object.hasOwn(REASONS, reason));
    expect(extra).toEqual([]);
  });
});
