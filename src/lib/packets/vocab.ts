/** Small tables shared by the packet store, the list and the filter. */

import type { RetransmitCause } from '../../../worker/trace/events';

export const RETRANSMIT_CAUSES: readonly RetransmitCause[] = ['rto', 'dupack', 'partial-ack', 'sack', 'syn', 'probe', 'keepalive'];
