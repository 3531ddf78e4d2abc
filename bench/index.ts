/**
 * npm run bench: prints throughput tables. Numbers, not pass/fail: compare runs
 * on the same machine. (The CI machine has 2 cores; expect noise of a few %.)
 */
import { printTable } from './harness';
import { hostBenchmarks } from './host.bench';
import { wireBenchmarks } from './wire.bench';
import { tcpBenchmarks } from './tcp.bench';
import { packetBenchmarks } from './packets.bench';

console.log(`wiretab benchmarks — node ${process.version}, ${new Date().toISOString()}`);
printTable('wire codecs and scheduler', wireBenchmarks());
printTable('whole stack in one process (in-memory segment, virtual clock)', hostBenchmarks());
printTable('TCP in one process (both ends, in-memory segment, tracing off)', tcpBenchmarks());
printTable('packet list (page side: store, filter, detail)', packetBenchmarks());
