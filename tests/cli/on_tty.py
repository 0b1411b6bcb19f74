#!/usr/bin/env python3
"""Run a command with its stderr on a pseudo-terminal (stdin and stdout as
given) and print what it wrote there, carriage returns as newlines; exits
with the command's status.
usage: on_tty.py COMMAND..."""
import os, pty, subprocess, sys

master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stderr=slave)
os.close(slave)
out = b""
while True:
    try:
        b = os.read(master, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
rc = p.wait()
sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n"))
sys.exit(rc)
