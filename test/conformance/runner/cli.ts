/**
 * npm run tcptest -- [--trace] <script.pkt | directory>...
 *
 * Runs conformance scripts against the stack on the virtual clock and prints
 * PASS or the failure with a diff for each; exits 1 if any failed. --trace
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
  let failed = 0;
  for (const file of files) {
    const result = runScriptFile(file, trace ? { trace: (line) => console.log(`    ${line}`) } : {});
    console.log(result.report);
    if (!result.ok) failed++;
  }
  console.log(`\n${files.length - failed} passed, ${failed} failed (${files.length} scripts)`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
