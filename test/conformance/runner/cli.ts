/**
 * npm run tcptest -- [--trace] <script.pkt | directory>...
 *
 * Runs conformance scripts against the stack on the virtual clock and prints
 * PASS or the failure with a diff for each; exits 1 if any failed. Scripts
 * under pending/ and runner-selftest/ must fail (XFAIL; XPASS counts as a
 * failure), as in conformance.test.ts. --trace
 * prints every segment, call and assertion as it happens, in script syntax
 * (handy when writing a new script).
 */

import { findScripts } from './files';
import { runScriptFile } from './run';

function main(argv: string[]): number {
  const trace = argv.includes('--trace');
  const paths = argv.filter((a) => a !== '--trace');
  if (paths.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run tcptest -- [--trace] <script.pkt | directory>...');
    return paths.length === 0 ? 2 : 0;
  }
  let files: string[];
  try {
    files = findScripts(paths);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (files.length === 0) {
    console.error(`no .pkt scripts in ${paths.join(', ')}`);
    return 2;
  }
  let passed = 0;
  let failed = 0;
  let expectedFailures = 0;
  for (const file of files) {
    const result = runScriptFile(file, trace ? { trace: (line) => console.log(`    ${line}`) } : {});
    // pending/ (not implemented yet) and runner-selftest/ (wrong on purpose) must fail.
    const mustFail = /(^|[\\/])(pending|runner-selftest)[\\/]/.test(file);
    if (mustFail && !result.ok) {
      expectedFailures++;
      console.log(`${result.report.replace(/^FAIL/, 'XFAIL')}`);
    } else if (mustFail) {
      failed++;
      console.log(`XPASS ${file}: expected to fail (pending/ or runner-selftest/); if the engine now does this, move the script out of pending/`);
    } else {
      if (result.ok) passed++;
      else failed++;
      console.log(result.report);
    }
  }
  console.log(`\n${passed} passed, ${failed} failed${expectedFailures ? `, ${expectedFailures} failed as expected` : ''} (${files.length} scripts)`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
