#!/usr/bin/python3
"""Resolvers that misbehave, in front of the test Knot, for fail-over tests.

    flaky_dns.py MODE UPSTREAM_PORT

Listens on a free 127.0.0.1 port, UDP and TCP (the same number), prints it
on one line, and runs until stdin closes. MODE:

  servfail   every query gets SERVFAIL (RCODE 2), over UDP and TCP.
  tcp-once   over UDP every answer is truncated (TC set, no records), so the
             client retries over TCP; over TCP one query is answered (knot's
             answer, relayed) and the connection is then closed, with any
             other queries the client sent on it unanswered.
"""
import socket
import struct
import sys
import threading

from dnslib import DNSRecord, RCODE

MODE = sys.argv[1]
UPSTREAM = ("127.0.0.1", int(sys.argv[2]))


def upstream(query):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(UPSTREAM)
        s.sendall(struct.pack("!H", len(query)) + query)
        size = struct.unpack("!H", recv_exact(s, 2))[0]
        return recv_exact(s, size)


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def servfail(query):
    reply = DNSRecord.parse(query).reply()
    reply.header.rcode = RCODE.SERVFAIL
    return reply.pack()


def truncated(query):
    reply = DNSRecord.parse(query).reply()
    reply.header.tc = 1
    return reply.pack()


def serve_udp(sock):
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            sock.sendto(servfail(data) if MODE == "servfail" else truncated(data), peer)
        except Exception:
            pass


def serve_tcp_client(conn):
    try:
        with conn:
            conn.settimeout(5)
            size = struct.unpack("!H", recv_exact(conn, 2))[0]
            query = recv_exact(conn, size)
            answer = servfail(query) if MODE == "servfail" else upstream(query)
            conn.sendall(struct.pack("!H", len(answer)) + answer)
            if MODE == "servfail":
                # Answer every query on the connection.
                while True:
                    size = struct.unpack("!H", recv_exact(conn, 2))[0]
                    answer = servfail(recv_exact(conn, size))
                    conn.sendall(struct.pack("!H", len(answer)) + answer)
            # tcp-once: close after one answer, whatever else was sent.
    except Exception:
        pass


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_client, args=(conn,), daemon=True).start()


def main():
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(50):
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        try:
            udp.bind(("127.0.0.1", port))
            break
        except OSError:
            tcp.close()
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.listen(64)
    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    print(port, flush=True)
    sys.stdin.read()


main()
