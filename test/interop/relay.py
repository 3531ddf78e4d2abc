#!/usr/bin/env python3
"""
The interop relay: carries Ethernet frames between a TAP device inside a
network namespace and a UDP socket on 127.0.0.1 in the namespace we were
started in, one frame per datagram, both ways, unchanged.

    relay.py NAMESPACE TAPDEV PEER_PORT

The UDP socket is created (and bound to 127.0.0.1) before we enter the
namespace: a socket keeps the namespace it was created in, so the test process
that owns PEER_PORT never has to leave its own. Then we setns() into
NAMESPACE, attach to TAPDEV (pre-created with `ip tuntap add`, so its
address survives a relay restart) with TUNSETIFF and IFF_TAP | IFF_NO_PI, and
print one JSON line: {"event": "ready", "port": <our UDP port>}.

We exit when standard input closes, so the relay never outlives the test
process that started it, even if that process is killed.
"""
import ctypes
import fcntl
import json
import os
import select
import socket
import struct
import sys

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
BUF = 4 << 20


def enter_netns(name):
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if hasattr(os, "setns"):  # Python >= 3.12
            os.setns(fd, CLONE_NEWNET)
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def main():
    ns, dev, peer_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUF)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUF)
    sock.bind(("127.0.0.1", 0))
    sock.connect(("127.0.0.1", peer_port))
    sock.setblocking(False)

    enter_netns(ns)
    tap = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH22x", dev.encode(), IFF_TAP | IFF_NO_PI))

    print(json.dumps({"event": "ready", "port": sock.getsockname()[1]}), flush=True)

    poller = select.poll()
    stdin = sys.stdin.fileno()
    for fd in (stdin, tap, sock.fileno()):
        poller.register(fd, select.POLLIN)
    drops = 0
    while True:
        for fd, _ in poller.poll():
            if fd == stdin:
                if not os.read(stdin, 4096):
                    return
            elif fd == tap:
                while True:
                    try:
                        frame = os.read(tap, 65536)
                    except BlockingIOError:
                        break
                    try:
                        sock.send(frame)
                    except (BlockingIOError, ConnectionRefusedError):
                        drops += 1  # the test process is not reading (yet): the frame is lost, as on a wire
            else:
                while True:
                    try:
                        frame = sock.recv(65536)
                    except BlockingIOError:
                        break
                    except ConnectionRefusedError:
                        continue
                    try:
                        os.write(tap, frame)
                    except OSError:
                        drops += 1  # the TAP is down or the frame is malformed: Linux drops it too


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
