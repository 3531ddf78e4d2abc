/**
 * What an application sees of its host: the transports, the context (clock,
 * tracer) and its name and address. worker/host.ts's Host satisfies it; apps
 * never import the composition root (test/repo/layering.ts).
 */

import type { StackContext } from '../trace/context';
import type { Tcp } from '../transport/tcp/tcp';
import type { Udp } from '../transport/udp';
import type { Ipv4Addr } from '../wire/addr';

export interface AppHost {
  readonly name: string;
  /** The first interface's address. */
  readonly address: Ipv4Addr;
  readonly ctx: StackContext;
  readonly tcp: Tcp;
  readonly udp: Udp;
}
