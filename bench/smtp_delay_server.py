#!/usr/bin/python3
"""SMTP listeners for the probe benchmark: each waits DELAY ms before its banner.

usage: smtp_delay_server.py LISTENERS DELAY_MS [CERT KEY]
Prints the ports as JSON on one line; runs until stdin closes. Speaks enough
ESMTP for a probe: banner, EHLO (STARTTLS when given a certificate, AUTH
PLAIN LOGIN), STARTTLS, AUTH PLAIN, NOOP, QUIT.
"""
import asyncio
import json
import ssl
import sys

LISTENERS = int(sys.argv[1])
DELAY = int(sys.argv[2]) / 1000
TLS = None
if len(sys.argv) > 4:
    TLS = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    TLS.load_cert_chain(sys.argv[3], sys.argv[4])


async def handle(reader, writer):
    try:
        await asyncio.sleep(DELAY)
        writer.write(b"220 bench ESMTP\r\n")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                starttls = b"250-STARTTLS\r\n" if TLS and writer.get_extra_info("sslcontext") is None else b""
                writer.write(b"250-bench\r\n" + starttls + b"250-AUTH PLAIN LOGIN\r\n250 HELP\r\n")
            elif verb == b"STARTTLS" and TLS:
                writer.write(b"220 Ready to start TLS\r\n")
                await writer.drain()
                await writer.start_tls(TLS)
                continue
            elif verb == b"AUTH":
                parts = line.split()
                mechanism = parts[1].upper() if len(parts) > 1 else b""
                if mechanism == b"PLAIN" and len(parts) < 3:
                    writer.write(b"334 \r\n")
                    await writer.drain()
                    await reader.readline()
                elif mechanism == b"LOGIN":
                    for prompt in (b"334 VXNlcm5hbWU6\r\n", b"334 UGFzc3dvcmQ6\r\n"):
                        writer.write(prompt)
                        await writer.drain()
                        await reader.readline()
                writer.write(b"235 2.7.0 Authentication successful\r\n")
            elif verb == b"NOOP":
                writer.write(b"250 OK\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"502 not in a probe\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    servers = [await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024) for _ in range(LISTENERS)]
    print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
