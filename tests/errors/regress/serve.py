#!/usr/bin/env python3
"""serve.py BINARY INPUT: replay an input of the server fuzz target
(tests/fuzz/fuzz_server.c: "METHOD URL" on the first line, the body after
it; no newline: a body for POST /v1/chat/completions) as an HTTP request to
BINARY --serve on loopback. The bytes of the URL outside printable ASCII are
sent %XX-encoded (libmicrohttpd decodes them, as the target gets them). Exit
0 when the server answers with a status and a JSON body (an error body for a
status of 400 or above) and still answers /health after it; else one line
and exit 1."""
import http.client, json, subprocess, sys, time

binary, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
method, url, body = b"POST", b"/v1/chat/completions", data
if b"\n" in data:
    line, _, body = data.partition(b"\n")
    method, sp, url = line.partition(b" ")
    if not sp:
        method, url = b"POST", line
enc = "".join(chr(c) if 0x21 <= c < 0x7f and c != 0x25 else "%%%02X" % c for c in url) or "/"
if not enc.startswith("/"):
    enc = "/" + enc
meth = method.decode("latin-1")
if not meth or any(not (0x21 <= ord(c) < 0x7f) or c in "()<>@,;:\\\"/[]?={}" for c in meth):
    meth = "POST"  # not an HTTP token: the server never sees it
srv = subprocess.Popen([binary, "--serve", "127.0.0.1:0", "--ctx", "256", "-t", "1", "-n", "4"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def fail(why):
    srv.kill()
    print("serve: %s: %s" % (path, why), file=sys.stderr)
    sys.exit(1)


port = None
t0 = time.time()
line = srv.stderr.readline().decode(errors="replace")
if "listening on" in line:
    port = int(line.rsplit(":", 1)[1])
if not port:
    fail("the server did not start: " + line.strip())
try:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(meth, enc, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    status, got = r.status, r.read()
    c.close()
except Exception as e:  # a dropped connection: no answer
    fail("no answer to %s %s: %s" % (meth, enc, e))
try:
    if status == 200 and got.startswith(b"data: "):
        pass  # a stream
    else:
        j = json.loads(got)
        if status >= 400 and not j["error"]["message"]:
            fail("%d with an empty error message" % status)
except (ValueError, KeyError, TypeError):
    fail("%d with a body that is not a JSON error: %r" % (status, got[:100]))
try:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/health")
    if c.getresponse().status != 200:
        fail("/health fails after the request")
except Exception as e:
    fail("the server is gone after the request: %s" % e)
srv.terminate()
srv.wait(30)
