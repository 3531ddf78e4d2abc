/**
 * The two hosts of every lab: solo mode runs both in one tab; in a pairing,
 * host 1 of the room runs alice and host 2 runs bob. A tiny module of plain
 * data so the page can import it without pulling in the stack.
 */
export const HOST_SPECS = [
  { name: 'alice', mac: '02:00:00:00:00:01', address: '10.0.0.1/24' },
  { name: 'bob', mac: '02:00:00:00:00:02', address: '10.0.0.2/24' },
] as const;
