#!/usr/bin/python3
"""A DNS server that never answers, for timeout tests.

    blackhole.py PORT LOGFILE

Listens on 127.0.0.1:PORT (UDP and TCP), reads every query, appends
"<transport> <qname> <qtype>" to LOGFILE (parsed with dnslib when possible)
and never replies; TCP connections are held open until the client gives up.
Knot forwards timeout.test here (mod-dnsproxy), and tests may also point a
client straight at PORT. Stops on SIGTERM.
"""
import selectors
import signal
import socket
import sys

try:
    from dnslib import DNSRecord, QTYPE
except ImportError:  # the log is a convenience; never answering is the point
    DNSRecord = None


def describe(data):
    if DNSRecord is None:
        return "? ?"
    try:
        q = DNSRecord.parse(data).q
        return "%s %s" % (q.qname, QTYPE.get(q.qtype, q.qtype))
    except Exception:  # malformed queries are logged, not fatal
        return "malformed %d bytes" % len(data)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: blackhole.py PORT LOGFILE")
    port = int(sys.argv[1])
    log = open(sys.argv[2], "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind(("127.0.0.1", port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(64)

    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(tcp, selectors.EVENT_READ, "listen")
    while True:
        for key, _ in sel.select():
            if key.data == "udp":
                data, _ = udp.recvfrom(65535)
                log.write("udp %s\n" % describe(data))
            elif key.data == "listen":
                conn, _ = tcp.accept()
                sel.register(conn, selectors.EVENT_READ, "tcp")
            else:
                conn = key.fileobj
                try:
                    data = conn.recv(65535)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(conn)
                    conn.close()
                else:
                    log.write("tcp %s\n" % describe(data[2:]))


if __name__ == "__main__":
    main()
