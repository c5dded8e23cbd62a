#!/usr/bin/python3
"""The test DNS server's second port: knot's answers, except under timeout.test.

    timeout_proxy.py PORT UPSTREAM_PORT LOGFILE

Listens on 127.0.0.1:PORT (UDP and TCP). A query for timeout.test or a name
under it is read, logged to LOGFILE ("udp timeout.test. TXT") and never
answered (a TCP connection is held open until the client gives up). Every
other query is relayed as is to knot on 127.0.0.1:UPSTREAM_PORT and knot's
answer relayed back, so one resolver address serves every test zone *and* a
name whose lookups time out.

Why not inside knot: knot's mod-dnsproxy waits synchronously, and knot's UDP
workers each own an SO_REUSEPORT socket, so every later query from the same
client socket (c-ares uses one per server) would wait behind the blackholed
one. Here each relayed query waits in its own asyncio task. Stops on SIGTERM.
"""
import asyncio
import signal
import struct
import sys

from dnslib import DNSRecord, QTYPE

BLACKHOLED = "timeout.test."
UPSTREAM_TIMEOUT = 5.0


def question(data):
    """(qname, qtype) of a query, or None if it does not parse."""
    try:
        q = DNSRecord.parse(data).q
        return str(q.qname).lower(), QTYPE.get(q.qtype, str(q.qtype))
    except Exception:  # malformed: relay it and let knot answer FORMERR
        return None


def blackholed(q):
    return q is not None and (q[0] == BLACKHOLED or q[0].endswith("." + BLACKHOLED))


class Upstream(asyncio.DatagramProtocol):
    """One relayed UDP query: send, wait for one datagram, resolve a future."""

    def __init__(self, data, future):
        self.data, self.future = data, future

    def connection_made(self, transport):
        transport.sendto(self.data)

    def datagram_received(self, data, addr):
        if not self.future.done():
            self.future.set_result(data)

    def error_received(self, exc):
        if not self.future.done():
            self.future.set_exception(exc)


class Front(asyncio.DatagramProtocol):
    def __init__(self, upstream, log):
        self.upstream, self.log = upstream, log

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        q = question(data)
        if blackholed(q):
            self.log.write("udp %s %s\n" % q)
            return
        asyncio.get_running_loop().create_task(self.relay(data, addr))

    async def relay(self, data, addr):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: Upstream(data, future), remote_addr=("127.0.0.1", self.upstream))
        try:
            self.transport.sendto(await asyncio.wait_for(future, UPSTREAM_TIMEOUT), addr)
        except Exception:  # knot did not answer: neither do we
            pass
        finally:
            transport.close()


async def tcp_client(reader, writer, upstream, log):
    try:
        while True:
            size = struct.unpack("!H", await reader.readexactly(2))[0]
            data = await reader.readexactly(size)
            q = question(data)
            if blackholed(q):
                log.write("tcp %s %s\n" % q)
                await reader.read()  # hold the connection until the client leaves
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
            try:
                up_writer.write(struct.pack("!H", size) + data)
                await up_writer.drain()
                length = await asyncio.wait_for(up_reader.readexactly(2), UPSTREAM_TIMEOUT)
                answer = await up_reader.readexactly(struct.unpack("!H", length)[0])
            finally:
                up_writer.close()
            writer.write(length + answer)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError, OSError):
        pass
    finally:
        writer.close()


async def main():
    if len(sys.argv) != 4:
        sys.exit("usage: timeout_proxy.py PORT UPSTREAM_PORT LOGFILE")
    port, upstream = int(sys.argv[1]), int(sys.argv[2])
    log = open(sys.argv[3], "a", buffering=1)
    # A parent may have SIGTERM blocked (Swift test processes do, and posix_spawn
    # passes the mask on): unblock it, or stop.sh would have to SIGKILL us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    await loop.create_datagram_endpoint(lambda: Front(upstream, log), local_addr=("127.0.0.1", port))
    server = await asyncio.start_server(lambda r, w: tcp_client(r, w, upstream, log), "127.0.0.1", port)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
