#!/usr/bin/env python3
"""tests/pccrtp/test_origin.py behind TLS: the same handler (files, content information,
ranges, redirects, access log), its listening socket wrapped with the given certificate.

  tls_origin.py DIR --cert PEM --key PEM [--listen ADDR:PORT] [--log FILE]
"""
import argparse
import os
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pccrtp"))
import test_origin  # noqa: E402  (the handler, from its directory)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--log")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), test_origin.Handler)
    server.daemon_threads = True
    server.root = os.path.abspath(args.dir)
    server.log = open(args.log, "a") if args.log else None
    server.log_lock = threading.Lock()
    server.range_delay = 0.0
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
