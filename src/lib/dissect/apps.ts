/**
 * Application-layer dissectors, chosen by port: one module each (http.ts,
 * dns.ts), registered in APP_DISSECTORS.
 */

import type { DissectState } from './state';
import type { Field } from './types';
import { dnsDissector } from './dns';
import { httpDissector } from './http';

export interface AppDissector {
  name: string;
  transport: 'tcp' | 'udp';
  ports: readonly number[];
  /** Nodes for the payload [start, end), or undefined to leave it as plain data. */
  dissect(s: DissectState, start: number, end: number): Field[] | undefined;
}

export const APP_DISSECTORS: AppDissector[] = [httpDissector, dnsDissector];

export function apps(s: DissectState, transport: 'tcp' | 'udp', srcPort: number, dstPort: number, start: number, end: number): Field[] | undefined {
  for (const d of APP_DISSECTORS) {
    if (d.transport !== transport || (!d.ports.includes(srcPort) && !d.ports.includes(dstPort))) continue;
    const nodes = d.dissect(s, start, end);
    if (nodes) return nodes;
  }
  return undefined;
}
