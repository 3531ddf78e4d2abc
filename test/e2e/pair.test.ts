/**
 * Two real browsers, paired: Chromium pages in separate contexts (two
 * "computers") inside a lo-only network namespace, our signaling server, real
 * WebRTC. Nothing is mocked: frames cross an unreliable RTCDataChannel.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS } from './browser';
import { canNetns, useClosedNetwork } from './netns';
import { pairPages } from '../helpers/closed-network';

function watchErrors(page: Page, into: string[]): void {
  page.on('pageerror', (e) => into.push(`${page.url()}: ${String(e)}`));
  page.on('console', (m) => m.type() === 'error' && into.push(`${page.url()}: ${m.text()}`));
}

async function ping(page: Page, count: number): Promise<string> {
  const terminal = page.locator('#pair-lab .terminal');
  const done = async () => ((await terminal.textContent()) ?? '').split('rtt min/avg/max/mdev').length - 1;
  const before = await done();
  const form = page.locator('#pair-lab .ping-form');
  await expect.poll(() => form.locator('button[type=submit]').isEnabled(), { timeout: 10_000 }).toBe(true);
  await form.locator('input[type=number]').fill(String(count));
  await form.locator('button[type=submit]').click();
  await expect.poll(done, { timeout: 20_000 }).toBe(before + 1);
  return (await terminal.textContent()) ?? '';
}

describe.skipIf(!canNetns)('two browsers over WebRTC', () => {
  const net = useClosedNetwork();

  it('pair by code, ping both ways, survive a reload', async () => {
    const errors: string[] = [];
    const ctxA = await net.newContext();
    const ctxB = await net.newContext();
    const a = await ctxA.newPage();
    const b = await ctxB.newPage();
    watchErrors(a, errors);
    watchErrors(b, errors);

    await a.goto(net.url);
    await a.getByRole('button', { name: /Create room/ }).click();
    const codeEl = a.getByTestId('room-code');
    await expect.poll(() => codeEl.textContent(), { timeout: 10_000 }).toMatch(/^[2-9A-Z]{3}-[2-9A-Z]{3}$/);
    const code = (await codeEl.textContent())!;
    await a.screenshot({ path: join(ARTIFACTS, 'pair-waiting.png') });

    await b.goto(net.url);
    await b.getByRole('button', { name: /Join room/ }).click();
    await b.getByLabel('Room code').fill(code.toLowerCase());
    await b.getByRole('button', { name: 'Join', exact: true }).click();

    await expect.poll(() => a.getByTestId('peer-name').textContent().catch(() => ''), { timeout: 20_000 }).toBe('bob');
    await expect.poll(() => b.getByTestId('peer-name').textContent().catch(() => ''), { timeout: 20_000 }).toBe('alice');
    expect(await a.getByTestId('me-name').textContent()).toBe('alice');
    await expect.poll(() => a.getByTestId('channel-state').textContent(), { timeout: 20_000 }).toContain('connected');

    const fromA = await ping(a, 3);
    expect(fromA).toContain('PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.');
    expect(fromA).toContain('3 packets transmitted, 3 received, 0% packet loss');
    const fromB = await ping(b, 3);
    expect(fromB).toContain('3 packets transmitted, 3 received, 0% packet loss');
    await a.screenshot({ path: join(ARTIFACTS, 'pair-alice.png'), fullPage: true });
    await b.screenshot({ path: join(ARTIFACTS, 'pair-bob.png'), fullPage: true });

    // 10% loss and 20 ms delay on both directions, each set in its own tab (the peer's card shows it).
    for (const [page, me] of [
      [a, 'alice'],
      [b, 'bob'],
    ] as const) {
      const card = page.locator(`.direction[data-host=${me}]`);
      await card.locator('.sections summary', { hasText: 'Delay' }).click();
      await card.getByRole('spinbutton', { name: 'Delay', exact: true }).fill('20');
      await card.locator('.sections summary', { hasText: 'Loss' }).click();
      await card.getByRole('spinbutton', { name: 'Loss', exact: true }).fill('10');
      await expect.poll(() => card.locator('.sections summary', { hasText: 'Loss' }).textContent()).toContain('10 % random');
    }
    await expect.poll(() => a.locator('.direction[data-host=bob] .sections summary', { hasText: 'Loss' }).textContent(), { timeout: 5_000 }).toContain('10 % random');

    // 1 MB from alice to bob's echo service and back, checked byte for byte, through 10% loss each way.
    const bulk = a.locator('.bulk');
    await bulk.locator('button[type=submit]').click();
    await expect.poll(() => bulk.locator('.bulk-result').textContent(), { timeout: 120_000 }).toContain('1,048,576 bytes echoed back byte-exact');
    expect(await bulk.locator('.bulk-result').getAttribute('data-ok')).toBe('true');
    expect(Number(await bulk.locator('.bulk-result').getAttribute('data-retransmits'))).toBeGreaterThan(0);
    // The connection went through the closing states and now waits out 2 MSL.
    const row = a.locator('.connections tr[data-host=alice]', { hasText: '10.0.0.2:7' });
    // (State and trail together, so a failure shows how the connection ended.) Through
    // lossy links a late segment can reach bob after it closed; its RST then ends
    // alice's TIME_WAIT early (RFC 9293 3.10.7.4; Linux's default tcp_rfc1337=0 does
    // the same), so the trail may end "TIME_WAIT → CLOSED".
    const stateAndTrail = async () => `${await row.getAttribute('data-state')}: ${await row.locator('.trail').textContent()}`;
    await expect.poll(stateAndTrail, { timeout: 10_000 }).toMatch(/^(TIME_WAIT|CLOSED): SYN_SENT → ESTABLISHED → FIN_WAIT_1 → (FIN_WAIT_2 → |CLOSING → )?TIME_WAIT( → CLOSED)?$/);
    await a.locator('.bulk').scrollIntoViewIfNeeded();
    await a.screenshot({ path: join(ARTIFACTS, 'pair-bulk-alice.png') });
    await a.locator('.connections').scrollIntoViewIfNeeded();
    await a.screenshot({ path: join(ARTIFACTS, 'pair-connections-alice.png') });

    // Alice's ladder shows bob's side of that connection too, from bob's tab's summary on alice's timeline:
    // bob's states on his column, and the SYN's arrival as bob reported it (through the loss, some SYN arrived).
    const ladder = a.locator('.flow-ladder');
    await ladder.scrollIntoViewIfNeeded();
    const echo = await ladder.locator('.card-head select option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent ?? '']).find(([, text]) => /10\.0\.0\.2:7$/.test(text))?.[0]);
    expect(echo).toBeDefined();
    await ladder.locator('.card-head select').selectOption(echo!);
    await ladder.locator('.viewport').press('Home');
    // Bob's states from the top down: a lost SYN+ACK or ACK can put many arrows between SYN_RCVD and ESTABLISHED,
    // so look a few screens down (the sheet draws only what is in view).
    const bobStates = async () => {
      const seen = new Set<string>();
      const viewport = ladder.locator('.viewport');
      await viewport.press('Home');
      for (let screen = 0; screen < 8 && !(seen.has('SYN_RCVD') && seen.has('ESTABLISHED')); screen++) {
        await a.waitForTimeout(100);
        for (const s of await ladder.locator('g.state[data-host=bob]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-state') ?? ''))) seen.add(s);
        await viewport.evaluate((el) => el.scrollBy({ top: el.clientHeight * 0.8 }));
      }
      await viewport.press('Home');
      return [...seen];
    };
    await expect.poll(bobStates, { timeout: 15_000 }).toEqual(expect.arrayContaining(['SYN_RCVD', 'ESTABLISHED']));
    const synArrivals = () => ladder.locator('g.arrow[data-from=alice][data-fate=arrived][data-peer-time=t1]').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-label') ?? ''));
    await expect.poll(synArrivals).toContainEqual(expect.stringMatching(/^SYN seq=0 /));
    expect(await a.getByTestId('ladder-peer-note').textContent()).toMatch(/bob’s times ±[\d.]+ ms/);
    await ladder.screenshot({ path: join(ARTIFACTS, 'pair-ladder-alice.png') });
    await ladder.locator('.card-head select').selectOption('');

    // Page A browses page B's web site by name through the same 10% loss: DNS asks bob's server in the other
    // tab, the page and its stylesheet and images come over our TCP, and the waterfall shows every request.
    const web = a.locator('.browser-panel');
    await web.scrollIntoViewIfNeeded();
    expect(await web.getByRole('textbox', { name: 'Address' }).inputValue()).toBe('http://www.bob.lab/');
    await web.getByRole('button', { name: 'Go', exact: true }).click();
    await expect.poll(() => web.locator('.page-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('200');
    expect(await a.frameLocator('.browser-panel iframe').locator('body').textContent()).toContain("Welcome to bob's web site");
    expect(await web.locator('div.dns').first().textContent()).toContain('10.0.0.2');
    const kinds = await web.locator('.waterfall tr.row').evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-kind')} ${r.getAttribute('data-status')}`));
    expect(kinds[0]).toBe('document 200');
    expect(kinds).toEqual(expect.arrayContaining(['css 200', 'img 200']));
    await web.screenshot({ path: join(ARTIFACTS, 'pair-browser-alice.png') });

    // Back to a perfect link (alice's tab keeps its settings across bob's reload; bob's start fresh).
    await a.locator('.direction[data-host=alice]').getByRole('combobox', { name: 'Preset' }).selectOption('perfect');
    await b.locator('.direction[data-host=bob]').getByRole('combobox', { name: 'Preset' }).selectOption('perfect');
    await expect.poll(() => a.locator('.direction[data-host=alice] .sections summary', { hasText: 'Loss' }).textContent()).toContain('none');

    // B reloads: it rejoins the room with its token, keeps host 2 (bob), and the pair reconnects.
    await b.reload();
    await expect.poll(() => b.getByTestId('me-name').textContent().catch(() => ''), { timeout: 20_000 }).toBe('bob');
    await expect.poll(() => b.getByTestId('peer-name').textContent().catch(() => ''), { timeout: 20_000 }).toBe('alice');
    await expect.poll(() => a.getByTestId('channel-state').textContent(), { timeout: 20_000 }).toContain('connected');
    const again = await ping(b, 2);
    expect(again).toContain('2 packets transmitted, 2 received, 0% packet loss');

    expect(errors).toEqual([]);
    await ctxA.close();
    await ctxB.close();
  }, 240_000);

  it('a page that relays frames itself (a browser that cannot hand the channel to a worker) pairs with one that does not: ping and a lossy 1 MB echo', async () => {
    const errors: string[] = [];
    const { a, b, contexts } = await pairPages(net, { query: ['', '?frames=page'] });
    watchErrors(a, errors);
    watchErrors(b, errors);
    expect(await a.getByTestId('channel-state').getAttribute('data-frame-path')).toBe('worker');
    expect(await b.getByTestId('channel-state').getAttribute('data-frame-path')).toBe('page');
    expect(await b.getByTestId('channel-state').textContent()).toContain('relayed by the page');
    expect(await ping(b, 2)).toContain('2 packets transmitted, 2 received, 0% packet loss');
    expect(await ping(a, 2)).toContain('2 packets transmitted, 2 received, 0% packet loss');
    // 5% loss on the relaying side's direction: bob's bulk test echoes 1 MB through alice's echo service.
    const card = b.locator('.direction[data-host=bob]');
    await card.locator('.sections summary', { hasText: 'Loss' }).click();
    await card.getByRole('spinbutton', { name: 'Loss', exact: true }).fill('5');
    await expect.poll(() => card.locator('.sections summary', { hasText: 'Loss' }).textContent()).toContain('5 % random');
    const bulk = b.locator('.bulk');
    await bulk.locator('button[type=submit]').click();
    await expect.poll(() => bulk.locator('.bulk-result').textContent(), { timeout: 120_000 }).toContain('1,048,576 bytes echoed back byte-exact');
    expect(Number(await bulk.locator('.bulk-result').getAttribute('data-retransmits'))).toBeGreaterThan(0);
    await b.getByTestId('channel-state').scrollIntoViewIfNeeded();
    await b.screenshot({ path: join(ARTIFACTS, 'pair-relayed-bob.png') });
    expect(errors).toEqual([]);
    for (const c of contexts) await c.close();
  }, 180_000);
});
