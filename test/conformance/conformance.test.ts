/**
 * Every .pkt script under test/conformance/ runs here, one test each (see
 * README.md in this folder for the format). Scripts in pending/ describe
 * RFC behaviour the engine does not have yet: they must fail (it.fails), so a
 * fix shows up as a test to move out of pending/. Scripts in runner-selftest/
 * are deliberately wrong: each must fail with the messages its
 * `// expect-failure:` lines name, which proves the runner catches them.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findScripts } from './runner/files';
import { runScriptFile, runScriptText } from './runner/run';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = findScripts([here]);
const name = (f: string) => path.relative(here, f).split(path.sep).join('/');
const isIn = (f: string, dir: string) => name(f).startsWith(`${dir}/`);
const selftest = all.filter((f) => isIn(f, 'runner-selftest'));
const pending = all.filter((f) => isIn(f, 'pending'));
const scripts = all.filter((f) => !selftest.includes(f) && !pending.includes(f));

describe('conformance scripts', () => {
  it('there are at least 55 of them', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(55);
  });
  for (const file of scripts) {
    it(name(file), () => {
      const r = runScriptFile(file);
      if (!r.ok) throw new Error(`\n${r.report}`);
    });
  }
});

describe.runIf(pending.length > 0)('pending conformance scripts (RFC behaviour not implemented yet)', () => {
  for (const file of pending) {
    it.fails(name(file), () => {
      const r = runScriptFile(file);
      if (!r.ok) throw new Error(`\n${r.report}`);
    });
  }
});

describe('runner self-test: wrong scripts fail with a useful message', () => {
  for (const file of selftest) {
    it(name(file), () => {
      const wanted = [...readFileSync(file, 'utf8').matchAll(/^\/\/ expect-failure: (.*)$/gm)].map((m) => m[1].trim());
      expect(wanted.length, `${name(file)} needs // expect-failure: lines`).toBeGreaterThan(0);
      const r = runScriptFile(file);
      expect(r.ok).toBe(false);
      for (const w of wanted) expect(r.report).toContain(w);
    });
  }

  it('a script error names the file and line and never throws', () => {
    const bad = ['0 listen(8080)', '+0 < S 0:0(0 win 100', '+0 > S. 0:0(0) ack 1'].join('\n');
    const r = runScriptText(bad, 'bad.pkt');
    expect(r.ok).toBe(false);
    expect(r.report).toContain('bad.pkt:2: script error:');
    for (const junk of ['<', '> S. 1:2(3)', '0 frob()', '0 set nagle maybe', '--tolerance=fast', '0 < S 0:0(0) <mss x>', '0 expect', '0 error = EWHAT', '* < S', '0 > . 1:1(0)']) {
      const j = runScriptText(junk, 'junk.pkt');
      expect(j.ok, junk).toBe(false);
      expect(j.report, junk).toMatch(/junk\.pkt:1: script error: \S/);
    }
  });

  it('a passing script passes, and the same script with one wrong number fails', () => {
    const good = ['0 listen(8080)', '+0 < S 0:0(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>', '+0.1 < . 1:1(0) ack 1 win 65535', '+0 state ESTABLISHED'];
    expect(runScriptText(good.join('\n'), 'good.pkt').report).toBe('PASS good.pkt');
    const wrong = [...good];
    wrong[2] = '+0 > S. 0:0(0) ack 2 win 65535 <mss 1460>';
    const r = runScriptText(wrong.join('\n'), 'wrong.pkt');
    expect(r.report).toContain('wrong.pkt:3');
    expect(r.report).toContain('ack: sent 1, expected 2');
  });

  const handshake = ['0 listen(8080)', '+0 < S 0:0(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>', '+0.1 < . 1:1(0) ack 1 win 65535', '+0 accept() = ok'];

  it('* lines match whenever the event comes, and relative times then count from it', () => {
    const script = [...handshake, '+0 close()', '+0 > F. 1:1(0) ack 1 win 65535', '* > F. 1:1(0) ack 1 win 65535', '+2 > F. 1:1(0) ack 1 win 65535'];
    const r = runScriptText(script.join('\n'), 'any.pkt');
    expect(r.report).toBe('PASS any.pkt');
  });

  it('--tolerance narrows the window a > line may match in', () => {
    // The delayed ACK comes 200 ms after the data; the script says 205 ms.
    const script = [...handshake, '+0 < P. 1:11(10) ack 1 win 65535', '+0.205 > . 1:1(0) ack 11 win 65535'];
    expect(runScriptText(script.join('\n'), 'loose.pkt').ok).toBe(true);
    const tight = runScriptText(['--tolerance=2ms', ...script].join('\n'), 'tight.pkt');
    expect(tight.ok).toBe(false);
    expect(tight.report).toContain('more than 2 ms before 0.305');
  });

  it('literal payloads are delivered and read back byte for byte', () => {
    const script = [...handshake, '+0 < P. 1:6(5) ack 1 win 65535 "hello"', '+0 < P. 6:11(5) ack 1 win 65535', '+0 > . 1:1(0) ack 11 win 65535', '+0 read(5) = 5', '+0 read() = 5'];
    expect(runScriptText(script.join('\n'), 'literal.pkt').report).toBe('PASS literal.pkt');
  });

  it('error = none passes while nothing is reported, and a wrong code is named', () => {
    const ok = [...handshake, '+0 error = none', '+1 error = none'];
    expect(runScriptText(ok.join('\n'), 'none.pkt').ok).toBe(true);
    const wrong = [...handshake, '+0.1 < R 1:1(0) win 0', '+0 error = ETIMEDOUT'];
    const r = runScriptText(wrong.join('\n'), 'wrong-error.pkt');
    expect(r.report).toContain('the connection reported ECONNRESET at 0.200');
    expect(r.report).toContain('expected ETIMEDOUT');
  });

  it('a wrong call result is reported with both values', () => {
    const r = runScriptText([...handshake, '+0 write(100) = 99'].join('\n'), 'write.pkt');
    expect(r.report).toContain('write() returned 100, expected = 99');
  });
});
