#!/usr/bin/env python3
"""A tiny PeerDist origin for the `peerdist get` tests: serves the files of DIR, and answers
with the content information NAME.ci (V1) or NAME.ci2 (V2, when the client accepts it) that
`peerdist hash` made, when the request asks for peerdist (spec digest section 4, simplified:
Accept-Encoding lists peerdist, X-P2P-PeerDist present without MissingDataRequest=true, no
Range). Range requests get 206 with the bytes.

It stands in for `peerdist serve` where the test needs misbehaviour a real server never shows:
  /redirect/N/PATH   302 to /redirect/N-1/PATH, and /redirect/0/PATH is PATH
  /truncated/PATH    the plain body cut in half (Content-Length says all)
  /badci/PATH        a peerdist answer whose body is not content information
  /nolength/PATH     a peerdist answer without X-P2P-PeerDist ContentLength

--range-delay S waits S seconds before each 206 body (a slow origin, to interrupt a get).

Access log (--log): one line per response in `peerdist serve`'s format,
"TIME CLIENT GET TARGET STATUS BODY-BYTES MODE" (MODE: peerdist or plain).

  test_origin.py DIR --listen ADDR:PORT [--log FILE]
"""
import argparse
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def items(value):
    out = {}
    for part in (value or "").split(","):
        if "=" in part:
            name, _, val = part.partition("=")
            out[name.strip().lower()] = val.strip()
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "peerdist-test-origin"

    def log_message(self, fmt, *args):  # quiet: the access log says what matters
        pass

    def access(self, status, peerdist, sent):
        with self.server.log_lock:
            if self.server.log:
                now = time.time()
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
                mode = "peerdist" if peerdist else "plain"
                self.server.log.write(
                    f"{stamp} {self.client_address[0]} GET {self.path} {status} {sent} {mode}\n")
                self.server.log.flush()

    def plain_error(self, status):
        body = f"{status}\n".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.access(status, False, len(body))

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        mode = None
        m = re.match(r"^/redirect/(\d+)(/.*)$", path)
        if m:
            n = int(m.group(1))
            target = m.group(2) if n == 0 else f"/redirect/{n - 1}{m.group(2)}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.access(302, False, 0)
            return
        for prefix in ("truncated", "badci", "nolength"):
            if path.startswith(f"/{prefix}/"):
                mode = prefix
                path = path[len(prefix) + 1:]
        name = os.path.normpath(path.lstrip("/"))
        full = os.path.join(self.server.root, name)
        if name.startswith("..") or not os.path.isfile(full):
            self.plain_error(404)
            return
        size = os.path.getsize(full)
        pd = items(self.headers.get("X-P2P-PeerDist"))
        ex = items(self.headers.get("X-P2P-PeerDistEx"))
        wants = ("peerdist" in [t.strip().lower().split(";")[0] for t in
                                (self.headers.get("Accept-Encoding") or "").split(",")]
                 and "version" in pd and pd.get("missingdatarequest", "").lower() != "true"
                 and "Range" not in self.headers)
        ci = full + ".ci"
        if wants and ex.get("maxcontentinformation") == "2.0" and os.path.isfile(full + ".ci2"):
            ci = full + ".ci2"
        if wants and ex.get("mincontentinformation") == "2.0":
            ci = full + ".ci2"
        if wants and os.path.isfile(ci):
            body = b"not content information" if mode == "badci" else open(ci, "rb").read()
            self.send_response(200)
            self.send_header("Content-Encoding", "peerdist")
            self.send_header("Content-Length", str(len(body)))
            version = "1.1" if pd.get("version") == "1.1" else "1.0"
            if mode == "nolength":
                self.send_header("X-P2P-PeerDist", f"Version={version}")
            else:
                self.send_header("X-P2P-PeerDist", f"Version={version}, ContentLength={size}")
            self.end_headers()
            self.wfile.write(body)
            self.access(200, True, len(body))
            return
        start, end = 0, size
        status = 200
        rng = self.headers.get("Range")
        if rng:
            m = re.match(r"^bytes=(\d+)-(\d*)$", rng.strip())
            if not m or int(m.group(1)) >= size:
                self.plain_error(416)
                return
            start = int(m.group(1))
            end = min(size, int(m.group(2)) + 1) if m.group(2) else size
            status = 206
        self.send_response(status)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        if status == 206 and self.server.range_delay:
            time.sleep(self.server.range_delay)  # a slow origin: lets a test interrupt a get
        if mode == "truncated":
            end = start + (end - start) // 2
        with open(full, "rb") as f:
            sent = self.connection.sendfile(f, start, end - start) if end > start else 0
        self.access(status, False, sent)
        if mode == "truncated":
            self.close_connection = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--log")
    parser.add_argument("--range-delay", type=float, default=0.0,
                        help="seconds to wait before each 206 body")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.root = os.path.abspath(args.dir)
    server.log = open(args.log, "a") if args.log else None
    server.log_lock = threading.Lock()
    server.range_delay = args.range_delay
    print(f"listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
