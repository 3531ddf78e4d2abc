/**
 * English, the reference dictionary: every other locale must have exactly
 * these keys (checked by the compiler through `Messages`) and the same
 * {placeholders} per key (checked by test/unit/i18n.test.ts).
 *
 * Keys are grouped by where the text appears. Protocol names and field names
 * (SYN, ACK, seq) are not translated anywhere.
 */
export const en = {
  'meta.title': 'wiretab — a TCP/IP stack in your browser tab',

  'app.name': 'wiretab',
  'app.tagline': 'A real TCP/IP stack, running in your browser tab.',
  'app.home': 'wiretab home',
  'app.skip': 'Skip to the main content',

  'controls.language': 'Language',
  'controls.theme.toDark': 'Switch to the dark theme',
  'controls.theme.toLight': 'Switch to the light theme',
  'controls.theme.dark': 'Dark',
  'controls.theme.light': 'Light',

  'locale.en': 'English',
  'locale.zh-CN': '简体中文',

  'hero.lead':
    'Ethernet, ARP, IPv4, ICMP, UDP and TCP, written in TypeScript and running in a Web Worker. Watch every header, window and timer as it happens.',
  'hero.audience': 'For workshop instructors, students and anyone learning networking on their own.',

  'actions.heading': 'Start',
  'actions.comingSoon': 'Coming soon',
  'actions.notReady': 'Not ready yet: the stack is still being built.',
  'actions.create.title': 'Create room',
  'actions.create.body': 'Pair this browser with another one.',
  'actions.join.title': 'Join room',
  'actions.join.body': 'Enter the code someone shared with you.',
  'actions.solo.title': 'Solo mode',
  'actions.solo.body': 'Two hosts in this tab, no partner needed.',

  'about.heading': 'What this is',
  'about.stack.title': 'A TCP/IP stack in your tab',
  'about.stack.body':
    'Every layer, from Ethernet frames to TCP connections, is our own code running in a Web Worker. Nothing is faked, and nothing is hidden.',
  'about.pair.title': 'Pair two browsers',
  'about.pair.body':
    'Two tabs, on one laptop or across a classroom, are joined by a WebRTC channel that loses and reorders packets. Our TCP has to cope, and you can watch it do so.',
  'about.solo.title': 'Solo mode',
  'about.solo.body':
    'Two hosts share one tab over a simulated link. Add loss, delay and reordering, slow time down, or step through one event at a time.',

  'ladder.caption': 'The three-way handshake, as you will see it here.',
  'ladder.hostA': 'Host A',
  'ladder.hostB': 'Host B',
  'ladder.time': 'time',

  'footer.status': 'Early preview. The stack is being built; the panels come next.',
  'footer.tip': 'Tip for instructors: add {example} to a link to open this page in Chinese with the dark theme.',

  'actions.preview': 'Preview',

  'solo.title': 'Solo lab',
  'solo.intro': 'Two hosts, alice and bob, share one simulated Ethernet segment inside this tab. Everything below comes from our own stack, running in a Web Worker.',
  'solo.starting': 'Starting the stack…',
  'solo.failed': 'The stack could not start: {message}',
  'solo.hosts': 'Hosts on the segment',
  'solo.clock': 'Simulation clock',
  'solo.run': 'Run',
  'solo.pause': 'Pause',
  'solo.step': 'Step',
  'solo.stepHint': 'Paused: each Step releases the next event (a timer or a frame arriving).',
  'solo.speed': 'Speed',
  'solo.time': 'Stack time',
  'solo.next': 'Next event',
  'solo.none': 'none',
  'solo.terminal': 'Terminal',
  'solo.from': 'From',
  'solo.count': 'Echo requests',
  'solo.ping': 'Ping {target}',
  'solo.pinging': 'Pinging…',
  'solo.clear': 'Clear',
  'solo.terminalEmpty': 'Press Ping. The first request waits for ARP to find the peer\'s MAC address; watch the frames on the right.',
  'solo.frames': 'Frames on the wire',
  'solo.framesCount': '{count} frames',
  'solo.framesEmpty': 'No frames yet.',
  'solo.pcap': 'Download pcap ({host})',
  'solo.col.time': 'Time (s)',
  'solo.col.protocol': 'Protocol',
  'solo.col.route': 'Source → Destination',
  'solo.col.info': 'Info',
  'solo.dropped': 'dropped',
} as const;

export type MessageKey = keyof typeof en;

/** The shape every dictionary must have: the same keys as English, each a string. */
export type Messages = { readonly [K in MessageKey]: string };
