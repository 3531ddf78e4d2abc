/** Structured logs for the server: one JSON line per record. */

/** One structured log record; printed as one JSON line. */
export type LogEvent = { event: string } & Record<string, unknown>;
export type Logger = (record: LogEvent) => void;

export const jsonLineLogger: Logger = (record) => {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
};
