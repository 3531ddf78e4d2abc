import { describe, expect, it } from 'vitest';
import { formatBitRate, formatCount, formatDuration, formatSize, formatStackTime } from '../../../src/panels/sockets/format';

describe('socket panel formats', () => {
  it('groups byte counts with commas', () => {
    expect(formatCount(1_048_576)).toBe('1,048,576');
    expect(formatCount(0)).toBe('0');
  });

  it('writes sizes compactly in 1024-byte units', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(14_600)).toBe('14 KB');
    expect(formatSize(2920)).toBe('2.9 KB');
    expect(formatSize(64 * 1024)).toBe('64 KB');
    expect(formatSize(1024 * 1024)).toBe('1 MB');
    expect(formatSize(10.5 * 1024 * 1024)).toBe('11 MB');
    expect(formatSize(1.25 * 1024 * 1024)).toBe('1.3 MB');
  });

  it('writes durations in the unit that reads best', () => {
    expect(formatDuration(0.42)).toBe('0.4 ms');
    expect(formatDuration(1)).toBe('1 ms');
    expect(formatDuration(12.34)).toBe('12 ms');
    expect(formatDuration(240)).toBe('240 ms');
    expect(formatDuration(1200)).toBe('1.20 s');
    expect(formatDuration(58_240)).toBe('58.2 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(Number.NaN)).toBe('—');
  });

  it('writes stack time with milliseconds', () => {
    expect(formatStackTime(12_345.6)).toBe('12.346 s');
  });

  it('writes goodput with SI prefixes', () => {
    expect(formatBitRate(0)).toBe('0 bit/s');
    expect(formatBitRate(850)).toBe('850 bit/s');
    expect(formatBitRate(850_000)).toBe('850 kbit/s');
    expect(formatBitRate(15_800_000)).toBe('15.8 Mbit/s');
    expect(formatBitRate(1_240_000_000)).toBe('1.24 Gbit/s');
  });
});
