// The subset of @thaunknown/simple-peer (lite build: data channels only) that
// wiretab uses. The package ships no types.
declare module '@thaunknown/simple-peer/lite.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelName?: string;
    channelConfig?: RTCDataChannelInit;
    objectMode?: boolean;
  }
  export default class SimplePeer {
    constructor(opts?: SimplePeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    /** The data channel's bufferedAmount. */
    readonly bufferSize: number;
    _pc: RTCPeerConnection;
    signal(data: unknown): void;
    send(chunk: ArrayBufferView | ArrayBuffer | string): void;
    destroy(err?: Error): void;
    on(event: 'signal', fn: (data: unknown) => void): this;
    on(event: 'connect' | 'close', fn: () => void): this;
    on(event: 'data', fn: (data: Uint8Array) => void): this;
    on(event: 'error', fn: (err: Error & { code?: string }) => void): this;
    on(event: 'iceStateChange', fn: (ice: RTCIceConnectionState, gathering: RTCIceGatheringState) => void): this;
    removeAllListeners(): this;
  }
}
