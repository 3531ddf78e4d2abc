/**
 * The link conditioner panel in a real browser: knobs reach the worker's
 * conditioner, ping shows their effect (stack time is exact, so a satellite
 * link's round trip is measurable), the frame log marks the frames the
 * conditioner killed, and a held frame can be dropped by hand.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, hasChromium, useApp } from './browser';

/** One-way delay of the satellite preset is 300 ms; the solo segment adds 0.5 ms each way. */
const SATELLITE_RTT_MS = 601;
/** Satellite jitter is 5 ms (normal) per direction: a round trip stays within a few sigma of this. */
const SATELLITE_TOLERANCE_MS = 30;

describe.skipIf(!hasChromium)('link conditioner in Chromium', () => {
  const app = useApp();

  async function openSolo(query: string, viewport = { width: 1366, height: 768 }): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}?solo&layout=all&${query}`);
    await expect.poll(() => page.locator('.ping-form button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => page.locator('.direction').count()).toBe(2);
    return { page, errors };
  }

  /** Pings bob from alice `count` times and returns the terminal's text once ping has finished. */
  async function ping(page: Page, count: number, timeout = 20_000): Promise<string> {
    const terminal = page.locator('.terminal');
    const before = ((await terminal.textContent()) ?? '').split('packet loss').length;
    await page.locator('.ping-form input[type=number]').fill(String(count));
    await page.locator('.ping-form button[type=submit]').click();
    await expect.poll(async () => ((await terminal.textContent()) ?? '').split('packet loss').length, { timeout }).toBe(before + 1);
    const text = (await terminal.textContent()) ?? '';
    // Only this run's output: from its command line on.
    return text.slice(text.lastIndexOf(`alice$ ping -c ${count}`));
  }

  it('loses, delays and holds frames as the knobs say', async () => {
    const { page, errors } = await openSolo('lang=en&theme=light');
    const alice = page.locator('.direction[data-host=alice]');
    const bob = page.locator('.direction[data-host=bob]');

    // 1. 100 % loss from alice to bob, typed into the number field: nothing gets through.
    await alice.locator('.sections summary', { hasText: 'Loss' }).click();
    const loss = alice.getByRole('spinbutton', { name: 'Loss', exact: true });
    await loss.fill('100');
    await expect.poll(() => alice.getByRole('slider', { name: 'Loss', exact: true }).inputValue()).toBe('100');
    await expect.poll(() => alice.locator('.sections summary', { hasText: 'Loss' }).textContent()).toContain('100 % random');
    const lossy = await ping(page, 1);
    expect(lossy).toContain('1 packets transmitted, 0 received');
    expect(lossy).toContain('100% packet loss');
    await expect.poll(() => page.locator('.log [data-fate=lost-random]').count()).toBeGreaterThan(0);
    await expect.poll(() => alice.locator('.fates [data-fate=lost-random] .count').textContent()).toMatch(/^[1-9]\d*$/);
    await page.locator('.log').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'conditioner-loss-en-light.png') });

    // 2. Back to no loss, then the satellite preset on both directions: a round trip of about 600 ms.
    await loss.fill('0');
    await expect.poll(() => alice.locator('.sections summary', { hasText: 'Loss' }).textContent()).toContain('none');
    await alice.getByRole('combobox', { name: 'Preset' }).selectOption('satellite');
    await expect.poll(() => bob.getByRole('combobox', { name: 'Preset' }).inputValue()).toBe('satellite');
    await expect.poll(() => alice.locator('.sections summary', { hasText: 'Delay' }).textContent()).toContain('300 ms ± 5 ms');
    const slow = await ping(page, 3, 30_000);
    // The first request also waited for ARP (itself a satellite round trip): judge the later ones.
    const times = [...slow.matchAll(/icmp_seq=(\d+) ttl=64 time=([\d.]+) ms/g)].filter((m) => Number(m[1]) >= 2).map((m) => Number(m[2]));
    expect(times.length).toBeGreaterThan(0);
    // A later request can also wait for ARP, when alice's entry for bob expires during the ping (how much
    // stack time the test has used by then varies): that reply takes two satellite round trips.
    expect(times.some((ms) => Math.abs(ms - SATELLITE_RTT_MS) < SATELLITE_TOLERANCE_MS)).toBe(true);
    for (const ms of times) expect(Math.min(Math.abs(ms - SATELLITE_RTT_MS), Math.abs(ms - 2 * SATELLITE_RTT_MS))).toBeLessThan(SATELLITE_TOLERANCE_MS);
    await expect.poll(() => page.locator('.log [data-fate=delayed]').first().textContent()).toMatch(/^\s*\+\d{3} ms\s*$/);

    // 3. A perfect link again; hold bob's next ICMP frame (the echo reply) and drop it by hand.
    await alice.getByRole('combobox', { name: 'Preset' }).selectOption('perfect');
    await expect.poll(() => bob.getByRole('combobox', { name: 'Preset' }).inputValue()).toBe('perfect');
    await bob.getByRole('combobox', { name: 'Which frames to hold' }).selectOption('icmp');
    await bob.getByRole('spinbutton', { name: 'Number of frames to hold' }).fill('1');
    await bob.getByRole('button', { name: 'Hold', exact: true }).click();
    await expect.poll(() => bob.locator('.rules').textContent()).toContain('Waiting for 1 × ICMP');
    const terminal = page.locator('.terminal');
    const runs = ((await terminal.textContent()) ?? '').split('packet loss').length;
    await page.locator('.ping-form input[type=number]').fill('1');
    await page.locator('.ping-form button[type=submit]').click();
    const held = bob.locator('.held-list li');
    await expect.poll(() => held.count(), { timeout: 10_000 }).toBe(1);
    expect(await held.textContent()).toContain('Echo (ping) reply');
    await expect.poll(() => bob.locator('.rules').count()).toBe(0); // the rule caught its one frame
    await bob.locator('.held-list').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'conditioner-held-en-light.png') });
    await held.getByRole('button', { name: 'Drop' }).click();
    await expect.poll(() => held.count()).toBe(0);
    await expect.poll(() => page.locator('.log [data-fate=dropped]').count()).toBe(1);
    await expect.poll(() => bob.locator('.fates [data-fate=dropped] .count').textContent()).toBe('1');
    await expect.poll(async () => ((await terminal.textContent()) ?? '').split('packet loss').length, { timeout: 20_000 }).toBe(runs + 1);
    const dropped = ((await terminal.textContent()) ?? '').slice(((await terminal.textContent()) ?? '').lastIndexOf('alice$ ping -c 1'));
    expect(dropped).toContain('1 packets transmitted, 0 received, 100% packet loss');

    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('unplugging the cable loses every frame both ways', async () => {
    const { page, errors } = await openSolo('lang=en');
    await page.getByRole('switch', { name: 'Unplug the cable' }).check();
    await expect.poll(() => page.locator('.direction.unplugged').count()).toBe(2);
    const out = await ping(page, 1);
    expect(out).toContain('100% packet loss');
    await expect.poll(() => page.locator('.log [data-fate=unplugged]').count()).toBeGreaterThan(0);
    await page.getByRole('switch', { name: 'Unplug the cable' }).uncheck();
    await expect.poll(() => page.locator('.direction.unplugged').count()).toBe(0);
    expect(await ping(page, 1)).toContain('1 received, 0% packet loss');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  // What people see, in both languages and themes, on a projector and on a phone: look at these.
  for (const [lang, theme, hold] of [
    ['en', 'light', 'Hold'],
    ['zh-CN', 'dark', '扣留'],
  ] as const) {
    for (const viewport of [
      { width: 1366, height: 768 },
      { width: 390, height: 844 },
    ]) {
      it(`looks finished (${lang}, ${theme}, ${viewport.width}x${viewport.height})`, async () => {
        const { page, errors } = await openSolo(`lang=${lang}&theme=${theme}`, viewport);
        const alice = page.locator('.direction[data-host=alice]');
        const bob = page.locator('.direction[data-host=bob]');
        await alice.locator('.head select').selectOption('congested');
        await expect.poll(() => bob.locator('.head select').inputValue()).toBe('congested');
        await alice.locator('.sections summary').nth(0).click(); // delay
        await alice.locator('.sections summary').nth(3).click(); // rate and queue
        await bob.locator('form.hold select').selectOption('icmp');
        await bob.getByRole('button', { name: hold, exact: true }).click();
        await page.locator('.ping-form input[type=number]').fill('2');
        await page.locator('.ping-form button[type=submit]').click();
        await expect.poll(() => bob.locator('.held-list li').count(), { timeout: 10_000 }).toBe(1);
        const name = `conditioner-${lang}-${theme}-${viewport.width}x${viewport.height}`;
        await page.locator('.conditioner').evaluate((el) => el.scrollIntoView({ block: 'start' }));
        await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
        await page.locator('.conditioner').screenshot({ path: join(ARTIFACTS, `${name}-panel.png`) });
        // Drop the held reply; the frame log marks it, next to the delays the others got.
        await bob.locator('.held-list li button.bad').click();
        await expect.poll(() => page.locator('.log [data-fate=dropped]').count()).toBe(1);
        await page.locator('.log').evaluate((el) => el.scrollIntoView({ block: 'center' }));
        await page.screenshot({ path: join(ARTIFACTS, `${name}-log.png`) });
        expect(errors).toEqual([]);
        await page.close();
      }, 60_000);
    }
  }
});
