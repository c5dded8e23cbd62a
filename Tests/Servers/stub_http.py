"""What the local provider API stubs (mailgun_stub.py, mailchimp_stub.py,
sendgrid_stub.py) share: a state folder's logs, with secret query parameters
redacted; a handler that answers JSON as the providers' nginx does; and one
listener per region on 127.0.0.1, serving until stdin closes."""
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Query parameters logged as "[redacted]".
SECRET_PARAMS = {"key", "api_key", "apikey", "token"}

_log_lock = threading.Lock()


def log(state, name, line):
    """Appends line to STATE/name (requests.log, leaks.log)."""
    with _log_lock:
        with open(os.path.join(state, name), "a") as f:
            f.write(line + "\n")


def loggable_path(path):
    """The path with the value of any secret-looking query parameter redacted."""
    parts = urllib.parse.urlsplit(path)
    if not parts.query:
        return path
    query = "&".join(
        (p.split("=", 1)[0] + "=[redacted]") if p.split("=", 1)[0].lower() in SECRET_PARAMS else p
        for p in parts.query.split("&"))
    return urllib.parse.urlunsplit(("", "", parts.path, query, parts.fragment))


class JSONHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with a body of JSON (or bytes) written in 64 KiB pieces; a
    client that hangs up mid-answer only closes its connection."""
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    content_type = "application/json"

    def log_message(self, *args):
        pass

    def send(self, status, body, extra_headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", self.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            for i in range(0, len(data), 1 << 16):
                self.wfile.write(data[i:i + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def serve(regions, handler_for):
    """One listener per region on 127.0.0.1: free ports, or BASE_PORT (the
    second argument) and the ports after it. Returns {region: url} and
    {region: port}."""
    base = int(sys.argv[2]) if len(sys.argv) > 2 else None
    urls, ports = {}, {}
    for i, region in enumerate(regions):
        server = ThreadingHTTPServer(("127.0.0.1", base + i if base else 0), handler_for(region))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ports[region] = server.server_address[1]
        urls[region] = f"http://127.0.0.1:{ports[region]}"
    return urls, ports


def run_until_stdin_closes(line):
    """Prints the stub's one line (what the tests read), then serves until stdin closes."""
    print(json.dumps(line), flush=True)
    sys.stdin.read()
