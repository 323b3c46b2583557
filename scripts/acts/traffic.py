"""Legitimate traffic for the attack lab (lab.py), run inside a namespace:

  traffic.py serve PORT...                   TCP services: each connection
                                             gets its request echoed back
  traffic.py client SRC DST PORT SECONDS EVERY
                                             a new connection from SRC every
                                             EVERY seconds for SECONDS, a
                                             request and its answer each;
                                             prints {"requests", "ok",
                                             "failed", "errors"} as JSON
"""

import json
import socket
import sys
import threading
import time


def serve(ports):
    def handle(conn):
        try:
            conn.settimeout(5)
            data = conn.recv(256)
            if data:
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    def accept_loop(s):
        while True:
            conn, _ = s.accept()
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threads = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(1024)
        t = threading.Thread(target=accept_loop, args=(s,), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


def client(src, dst, port, seconds, every):
    end = time.monotonic() + seconds
    requests = ok = 0
    errors = {}
    nxt = time.monotonic()
    while time.monotonic() < end:
        requests += 1
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            s.bind((src, 0))
            s.connect((dst, port))
            msg = b"request %d" % requests
            s.sendall(msg)
            if s.recv(256) == msg:
                ok += 1
            else:
                errors["bad answer"] = errors.get("bad answer", 0) + 1
            s.close()
        except OSError as e:
            key = type(e).__name__ + ": " + str(e)
            errors[key] = errors.get(key, 0) + 1
        nxt += every
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            nxt = time.monotonic()
    print(json.dumps({"requests": requests, "ok": ok,
                      "failed": requests - ok, "errors": errors}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve([int(p) for p in sys.argv[2:]])
    elif sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3], int(sys.argv[4]),
               float(sys.argv[5]), float(sys.argv[6]))
    else:
        sys.exit("usage: traffic.py serve PORT... | client SRC DST PORT "
                 "SECONDS EVERY")
