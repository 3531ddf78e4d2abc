/**
 * 简体中文. Typed as `Messages`, so a missing or extra key is a compile error.
 * Protocol and field names (SYN, ACK, seq) stay as they are, as in textbooks.
 */
import type { Messages } from './en';

export const zhCN: Messages = {
  'meta.title': 'wiretab — 浏览器标签页里的 TCP/IP 协议栈',

  'app.name': 'wiretab',
  'app.tagline': '一个真正的 TCP/IP 协议栈，运行在你的浏览器标签页里。',
  'app.home': 'wiretab 首页',
  'app.skip': '跳到主要内容',

  'controls.language': '语言',
  'controls.theme.toDark': '切换到深色主题',
  'controls.theme.toLight': '切换到浅色主题',
  'controls.theme.dark': '深色',
  'controls.theme.light': '浅色',

  'locale.en': 'English',
  'locale.zh-CN': '简体中文',

  'hero.lead':
    '以太网、ARP、IPv4、ICMP、UDP 和 TCP，全部用 TypeScript 编写，运行在 Web Worker 中。每个首部字段、每次窗口变化、每个定时器，都实时呈现在你眼前。',
  'hero.audience': '面向工作坊讲师、学生，以及所有自学网络知识的人。',

  'actions.heading': '开始',
  'actions.comingSoon': '即将推出',
  'actions.notReady': '尚未就绪：协议栈仍在开发中。',
  'actions.create.title': '创建房间',
  'actions.create.body': '与另一个浏览器配对。',
  'actions.join.title': '加入房间',
  'actions.join.body': '输入别人分享给你的房间码。',
  'actions.solo.title': '单机模式',
  'actions.solo.body': '一个标签页里跑两台主机，无需同伴。',

  'about.heading': '这是什么',
  'about.stack.title': '标签页里的 TCP/IP 协议栈',
  'about.stack.body':
    '从以太网帧到 TCP 连接，每一层都是我们自己的代码，运行在 Web Worker 中。一切都真实运行，一切都清晰可见。',
  'about.pair.title': '两个浏览器配对',
  'about.pair.body':
    '两个标签页，无论在同一台电脑上还是在教室两端，都通过一条会丢包、会乱序的 WebRTC 通道相连。我们的 TCP 必须应对这一切，而你可以亲眼看着它做到。',
  'about.solo.title': '单机模式',
  'about.solo.body':
    '两台主机共用一个标签页，通过模拟链路相连。你可以加入丢包、延迟和乱序，放慢时间，或者逐个事件单步执行。',

  'ladder.caption': '三次握手：你将在这里看到的过程。',
  'ladder.hostA': '主机 A',
  'ladder.hostB': '主机 B',
  'ladder.time': '时间',

  'footer.status': '早期预览版。协议栈正在开发中，各个面板随后推出。',
  'footer.tip': '讲师提示：在链接末尾加上 {example}，即可用中文和深色主题打开本页。',

  'actions.preview': '预览',

  'solo.title': '单机实验室',
  'solo.intro': '两台主机 alice 和 bob 在这个标签页里共用一段模拟的以太网。下面看到的一切，都来自我们自己的协议栈，它运行在 Web Worker 中。',
  'solo.starting': '正在启动协议栈…',
  'solo.failed': '协议栈启动失败：{message}',
  'solo.hosts': '网段上的主机',
  'solo.clock': '模拟时钟',
  'solo.run': '运行',
  'solo.pause': '暂停',
  'solo.step': '单步',
  'solo.stepHint': '已暂停：每按一次“单步”，就放行下一个事件（一个定时器，或一帧数据到达）。',
  'solo.speed': '速度',
  'solo.time': '协议栈时间',
  'solo.next': '下一个事件',
  'solo.none': '无',
  'solo.terminal': '终端',
  'solo.from': '发起方',
  'solo.count': '回显请求数',
  'solo.ping': 'Ping {target}',
  'solo.pinging': '正在 ping…',
  'solo.clear': '清空',
  'solo.terminalEmpty': '按下 Ping。第一个请求要先等 ARP 查到对方的 MAC 地址；可以在右侧观察每一帧。',
  'solo.frames': '线路上的帧',
  'solo.framesCount': '{count} 帧',
  'solo.framesEmpty': '还没有帧。',
  'solo.pcap': '下载 pcap（{host}）',
  'solo.col.time': '时间（秒）',
  'solo.col.protocol': '协议',
  'solo.col.route': '源 → 目的',
  'solo.col.info': '信息',
  'solo.dropped': '已丢弃',
};
