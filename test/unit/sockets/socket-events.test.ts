import { describe, expect, it } from 'vitest';
import type { SocketTableEvent } from '../../../worker/apps/socket-table';
import { errorsFirst } from '../../../src/panels/sockets/socket-events';

describe('errorsFirst', () => {
  it('tells why a socket failed before saying it closed', () => {
    const batch: SocketTableEvent[] = [
      { kind: 'closed', host: 'alice', id: 3 },
      { kind: 'closed', host: 'bob', id: 3 },
      { kind: 'error', host: 'alice', id: 3, code: 'ECONNREFUSED', message: 'refused' },
    ];
    expect(errorsFirst(batch).map((e) => `${e.kind} ${e.host}`)).toEqual(['error alice', 'closed alice', 'closed bob']);
  });

  it('leaves a batch without that pattern as it is', () => {
    const batch: SocketTableEvent[] = [
      { kind: 'error', host: 'alice', id: 3, code: 'ECONNRESET', message: 'reset' },
      { kind: 'closed', host: 'alice', id: 3 },
      { kind: 'end', host: 'bob', id: 4 },
    ];
    expect(errorsFirst(batch)).toEqual(batch);
  });
});
