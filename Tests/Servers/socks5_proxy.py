#!/usr/bin/python3
"""A minimal SOCKS5 proxy (no auth, CONNECT only) on 127.0.0.1, for testing
probe.proxy. It refuses to connect anywhere but the loopback address.

usage: socks5_proxy.py STATE_DIR
Prints {"port": N} on one line; logs each CONNECT target to STATE_DIR/proxy.log;
runs until stdin closes.
"""
import asyncio
import ipaddress
import json
import os
import socket
import struct
import sys

STATE = sys.argv[1]


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def handle(reader, writer):
    try:
        version, count = await reader.readexactly(2)
        await reader.readexactly(count)
        writer.write(b"\x05\x00")
        ver, cmd, _, kind = await reader.readexactly(4)
        if kind == 1:
            host = socket.inet_ntoa(await reader.readexactly(4))
        elif kind == 3:
            length = (await reader.readexactly(1))[0]
            host = (await reader.readexactly(length)).decode()
        else:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        port = struct.unpack(">H", await reader.readexactly(2))[0]
        with open(os.path.join(STATE, "proxy.log"), "a") as f:
            f.write(f"CONNECT {host}:{port}\n")
        address = "127.0.0.1" if host == "localhost" else host
        if cmd != 1 or not ipaddress.ip_address(address).is_loopback:
            writer.write(b"\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00")
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(address, port)
        writer.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        await writer.drain()
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        writer.close()


async def main():
    os.makedirs(STATE, exist_ok=True)
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
