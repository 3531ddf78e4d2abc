/**
 * The two hosts of every lab: solo mode runs both in one tab; in a pairing,
 * host 1 of the room runs alice and host 2 runs bob. A tiny module of plain
 * data so the page can import it without pulling in the stack.
 */
export const HOST_SPECS = [
  { name: 'alice', mac: '02:00:00:00:00:01', address: '10.0.0.1/24' },
  { name: 'bob', mac: '02:00:00:00:00:02', address: '10.0.0.2/24' },
] as const;

/**
 * The lab's DNS (worker/apps/dns): each host serves, on secondary addresses
 * of its one interface, a copy of the root zone and of the lab. TLD, and on
 * its primary address its own zone <name>.lab (authoritative, and recursive for
 * queries with RD). Root servers sit at 10.0.0.1x and TLD servers at 10.0.0.2x,
 * x being the host number, so a learner can tell them apart at a glance:
 *
 *   alice  10.0.0.1  ns.alice.lab   10.0.0.11  a.root.lab   10.0.0.21  a.nic.lab
 *   bob    10.0.0.2  ns.bob.lab     10.0.0.12  b.root.lab   10.0.0.22  b.nic.lab
 *
 * A host's stub resolver asks the *peer's* server (alice -> 10.0.0.2), so the
 * lookup of www.bob.lab from alice is one query and one answer on the wire; its
 * iterative mode starts at the peer's root and prefers the peer's servers, so
 * the three steps (root, TLD, zone) go to three addresses across the wire. The
 * same holds in solo mode and in a pairing (each tab's host serves its own copies).
 */
export const DNS_PLAN = {
  alice: { root: '10.0.0.11', tld: '10.0.0.21', letter: 'a' },
  bob: { root: '10.0.0.12', tld: '10.0.0.22', letter: 'b' },
} as const satisfies Record<(typeof HOST_SPECS)[number]['name'], { root: string; tld: string; letter: string }>;
