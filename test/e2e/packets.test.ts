/**
 * The packet list and detail in a real browser, solo mode: after a ping and a
 * TCP exchange the list shows the right rows; a display filter narrows it (an
 * invalid one shows an inline error and leaves the list alone); a frame the
 * conditioner killed shows as lost; hovering a field lights up its bytes and
 * hovering a byte lights up its field. Screenshots in both themes and languages.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, hasChromium, useApp } from './browser';

describe.skipIf(!hasChromium)('packet list and detail in Chromium', () => {
  const app = useApp();

  async function openSolo(query: string): Promise<{ page: Page; errors: string[] }> {
    const page = await app.browser.newPage({ viewport: { width: 1366, height: 768 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${app.url}?solo&layout=all&${query}`);
    await expect.poll(() => page.locator('.ping-form button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
    return { page, errors };
  }

  async function ping(page: Page, count: number): Promise<void> {
    const terminal = page.locator('.terminal');
    const runs = ((await terminal.textContent()) ?? '').split('packet loss').length;
    await page.locator('.ping-form input[type=number]').fill(String(count));
    await page.locator('.ping-form button[type=submit]').click();
    await expect.poll(async () => ((await terminal.textContent()) ?? '').split('packet loss').length, { timeout: 20_000 }).toBe(runs + 1);
  }

  async function filter(page: Page, text: string): Promise<void> {
    const input = page.getByRole('textbox', { name: /Display filter|显示过滤器/ });
    await input.fill(text);
    await input.press('Enter');
  }

  /** Opens a tree node unless it is open already (the tree remembers open nodes across frames). */
  async function open(page: Page, abbrev: string): Promise<void> {
    const node = page.locator(`.packets [role=tree] [data-abbrev="${abbrev}"]`).first();
    if ((await node.getAttribute('aria-expanded')) === 'false') await node.click();
  }

  const infos = (page: Page) => page.locator('.packets .row .info-text').allTextContents();

  /** A ping and a TCP connection from alice to bob's port 23 carrying one line. */
  async function traffic(page: Page): Promise<void> {
    await ping(page, 2);
    const consoleCard = page.locator('.console');
    await consoleCard.locator('.connect-form button[type=submit]').click();
    await expect.poll(() => consoleCard.locator('.tab[data-host=alice]').textContent(), { timeout: 10_000 }).toContain('ESTABLISHED');
    const line = consoleCard.locator('.line-input');
    await line.fill('hello, bob');
    await line.press('Enter');
    await expect.poll(() => consoleCard.locator('.tab[data-host=bob] .unread').count(), { timeout: 10_000 }).toBe(1);
  }

  it('shows the exchange, filters it, marks a lost frame, and links fields to bytes (en, light)', async () => {
    const { page, errors } = await openSolo('lang=en&theme=light');
    await traffic(page);
    const panel = page.locator('.packets');
    const count = panel.locator('#packets-title .count');

    // The handshake, with SYN,ACK acknowledging the SYN's sequence number + 1.
    await filter(page, 'tcp.flags.syn == 1');
    await expect.poll(() => infos(page)).toHaveLength(2);
    const [syn, synAck] = await infos(page);
    expect(syn).toMatch(/→ 23 \[SYN\] Seq=(\d+) Win=\d+ Len=0$/);
    expect(synAck).toMatch(/^23 → \d+ \[SYN, ACK\] Seq=\d+ Ack=(\d+) Win=\d+ Len=0$/);
    expect(Number(synAck!.match(/Ack=(\d+)/)![1])).toBe(Number(syn!.match(/Seq=(\d+)/)![1]) + 1);
    expect(await count.textContent()).toMatch(/^2 of \d+ frames shown$/);
    expect(await page.locator('.filter .state-good').count()).toBe(1);

    // The ping: two requests, two replies, and the ARP exchange before them.
    await filter(page, 'icmp || arp.opcode == 1 && !(arp.src.proto_ipv4 == 10.0.0.2)');
    await expect.poll(() => infos(page)).toHaveLength(6);
    const pings = await infos(page);
    expect(pings.filter((i) => i.startsWith('Echo (ping) request')).length).toBe(2);
    expect(pings.filter((i) => i.startsWith('Echo (ping) reply')).length).toBe(2);
    expect(pings).toContain('Who has 10.0.0.2? Tell 10.0.0.1');

    // The data: one segment carrying the line.
    await filter(page, 'tcp.len > 0 && frame contains "hello, bob"');
    await expect.poll(() => infos(page)).toHaveLength(1);
    expect((await infos(page))[0]).toMatch(/\[PSH, ACK\] .* Len=11$/);

    // An invalid filter: an inline error with its column; the list shows every frame.
    await filter(page, 'ip.addr ==');
    const error = page.locator('#packets-filter-error');
    await expect.poll(() => error.textContent()).toContain("expected a value after '==' at column 11");
    expect(await page.locator('.filter .state-bad').count()).toBe(1);
    expect(await count.textContent()).toMatch(/^\d+ frames$/);
    const total = Number((await count.textContent())!.match(/^(\d+)/)![1]);
    expect(total).toBeGreaterThan(10);

    // A frame the conditioner kills shows as lost.
    const alice = page.locator('.direction[data-host=alice]');
    await alice.locator('.sections summary', { hasText: 'Loss' }).click();
    const loss = alice.getByRole('spinbutton', { name: 'Loss', exact: true });
    await loss.fill('100');
    await expect.poll(() => alice.locator('.sections summary', { hasText: 'Loss' }).textContent()).toContain('100 % random');
    await ping(page, 1);
    await loss.fill('0');
    await filter(page, 'lost');
    await expect.poll(() => infos(page)).toHaveLength(1);
    const lostRow = panel.locator('.row').first();
    expect(await lostRow.getAttribute('class')).toContain('c-lost');
    expect(await lostRow.locator('[data-fate=lost-random]').count()).toBe(1);
    expect(await lostRow.locator('.info-text').textContent()).toMatch(/^Echo \(ping\) request/);

    // Detail: pick the SYN; hovering a field lights its bytes, hovering a byte lights its field.
    await filter(page, 'tcp.flags.syn && !tcp.flags.ack');
    await expect.poll(() => infos(page)).toHaveLength(1);
    await panel.locator('.row').first().click();
    const tree = panel.getByRole('tree');
    await expect.poll(() => tree.locator('[data-abbrev=tcp]').count()).toBe(1);
    await open(page, 'tcp');
    await tree.locator('[data-abbrev="tcp.srcport"]').hover();
    await expect.poll(() => panel.locator('.hex .b.lit').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.i))).toEqual(['34', '35']);
    // Byte 56 is inside the MSS option (closed in the tree): hovering it opens the way to its field.
    await tree.locator('[data-abbrev="tcp.options"]').waitFor({ state: 'attached' });
    expect(await tree.locator('[data-abbrev="tcp.options.mss_val"]').count()).toBe(0);
    await panel.locator('.hex .b[data-i="56"]').hover();
    await expect.poll(() => tree.locator('[data-abbrev="tcp.options.mss_val"].hovered').count()).toBe(1);
    expect(await tree.locator('[data-abbrev="tcp.options.mss_val"]').textContent()).toContain('1460');
    await expect.poll(() => panel.locator('.hex .b.lit').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.i))).toEqual(['56', '57']);
    // The encapsulation of a SYN: 14 + 20 + 40 (options) and no data.
    expect(await panel.locator('.encap .sum').textContent()).toContain('14 + 20 + 40 = 74 bytes');

    // Keyboard: the list moves the selection.
    await filter(page, 'tcp');
    await panel.locator('.row').first().click();
    const before = await panel.locator('.row[aria-selected=true]').getAttribute('data-no');
    await panel.locator('.scroller').press('ArrowDown');
    await expect.poll(() => panel.locator('.row[aria-selected=true]').getAttribute('data-no')).not.toBe(before);

    await panel.locator('.row').first().click();
    await open(page, 'tcp');
    await open(page, 'tcp.flags');
    await tree.locator('[data-abbrev="tcp.flags"]').hover();
    await panel.scrollIntoViewIfNeeded();
    await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(ARTIFACTS, 'packets-en-light.png') });
    await panel.locator('.detail').screenshot({ path: join(ARTIFACTS, 'packets-detail-en-light.png') });
    await page.getByRole('button', { name: 'Switch to the dark theme' }).click();
    await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(ARTIFACTS, 'packets-en-dark.png') });
    await panel.locator('.detail').screenshot({ path: join(ARTIFACTS, 'packets-detail-en-dark.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  for (const theme of ['dark', 'light'] as const) {
    it(`reads in Chinese (${theme})`, async () => {
      const { page, errors } = await openSolo(`lang=zh-CN&theme=${theme}`);
      await traffic(page);
      const panel = page.locator('.packets');
      await filter(page, 'ip.addr == 10.0.0.300');
      await expect.poll(() => page.locator('#packets-filter-error').textContent()).toContain("'10.0.0.300' 不是 IPv4 地址（第 12 列）");
      await filter(page, 'tcp || icmp');
      await expect.poll(() => panel.locator('#packets-title .count').textContent()).toMatch(/^显示 \d+ \/ 共 \d+ 帧$/);
      await panel.locator('.row').nth(2).click();
      const tree = panel.getByRole('tree');
      await open(page, 'ip');
      await tree.locator('[data-abbrev="ip.ttl"]').click();
      await tree.locator('[data-abbrev="ip.ttl"]').hover();
      await expect.poll(() => tree.locator('.explain').textContent()).toContain('生存时间');
      await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: join(ARTIFACTS, `packets-zh-CN-${theme}.png`) });
      await panel.locator('.detail').screenshot({ path: join(ARTIFACTS, `packets-detail-zh-CN-${theme}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  }
});
