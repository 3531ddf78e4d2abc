/**
 * The link metrics in a real browser: with alice's direction limited to
 * 4 Mbit/s and 20 ms of delay, a bulk transfer fills the link (utilisation
 * near 100 %), the delay of a full frame is split into its parts, and the
 * bandwidth-delay product is compared with alice's congestion window.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('link metrics in Chromium', () => {
  const app = useApp();

  it('shows rate, utilisation, the delay split and the BDP during a rate-limited transfer', async () => {
    const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${app.url}?solo&layout=tabs&view=link&lang=en&theme=dark`);
    const alice = page.locator('.direction[data-host=alice]');
    await alice.locator('.sections summary', { hasText: 'Rate and queue' }).click();
    await alice.getByRole('spinbutton', { name: /^Rate\b/ }).fill('4');
    await alice.locator('.sections summary', { hasText: 'Delay' }).click();
    await alice.getByRole('spinbutton', { name: /^Delay\b/ }).fill('20');

    // One view at a time, as a class would use it: the link view first, then the charts.
    await page.getByRole('tab', { name: 'Charts' }).click();
    await page.locator('.metrics-panel').scrollIntoViewIfNeeded();
    const panel = page.locator('.metrics-panel .dir[data-host=alice]');
    await expect.poll(() => panel.locator('[data-metric=rate]').textContent(), { timeout: 10_000 }).toBe('4 Mbit/s');
    // A full 1514-byte frame at 4 Mbit/s (no per-frame overhead set): 3.0 ms; the cable: 20 ms plus the solo segment's 0.5 (shown rounded).
    expect(await panel.locator('[data-part=transmission] b').textContent()).toBe('3 ms');
    expect(await panel.locator('[data-part=propagation] b').textContent()).toBe('21 ms');

    await page.getByRole('tab', { name: 'Sockets' }).click();
    const bulk = page.locator('.bulk');
    await bulk.locator('select').nth(1).selectOption({ index: 2 });
    await bulk.locator('button[type=submit]').click();
    await page.getByRole('tab', { name: 'Charts' }).click();
    await page.locator('.metrics-panel').scrollIntoViewIfNeeded();
    // While the transfer runs the link is busy: utilisation climbs to 80 % or more.
    await expect.poll(async () => Number((await panel.locator('[data-metric=utilisation]').textContent())?.match(/(\d+) %/)?.[1] ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(80);
    await expect.poll(() => panel.locator('[data-metric=rtt]').textContent()).toContain("TCP's SRTT");
    await expect.poll(() => panel.textContent()).toMatch(/(cwnd|rwnd) is (only )?\d+ % of the pipe/);
    await page.screenshot({ path: join(ARTIFACTS, 'metrics-en-dark.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
