"""tests/cli/chat_pty.py BINARY: the conversation on a terminal, driven
through a pseudo-terminal as a person would type it: no arguments starts a
chat, /help, an empty line sends nothing, a backslash continues a line,
Ctrl+C stops a reply and returns to the prompt, /reset, a full context
drops the oldest turns with a notice, Ctrl+C at the prompt ends it.
`chat_pty.py BINARY --line-editing` (a binary from venusc compile
--line-editing) checks line editing and history first, then the same.
Prints one "ok"/"FAIL" line per check; exit 1 on a failure."""
import os, pty, select, sys, time

BIN = sys.argv[1]
EDIT = sys.argv[2:] == ["--line-editing"]
fails = 0


def check(name, cond, got=""):
    global fails
    print(("ok    " if cond else "FAIL  ") + name)
    if not cond:
        fails += 1
        print("      got %r" % got[-400:])


class Term:
    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(BIN, [BIN] + list(args))
        self.buf = b""

    def read_until(self, marker, timeout=60):
        end = time.time() + timeout
        while marker.encode() not in self.buf and time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    d = os.read(self.fd, 4096)
                except OSError:
                    break
                if not d:
                    break
                self.buf += d
        found = marker.encode() in self.buf
        text = self.buf.decode(errors="replace")
        if found:
            self.buf = self.buf[self.buf.index(marker.encode()) + len(marker):]
        return found, text

    def send(self, s):
        if EDIT:  # typing pace: libedit turns the terminal raw once it shows the prompt
            time.sleep(0.1)
        os.write(self.fd, s.encode())

    def wait(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return st
            try:
                r, _, _ = select.select([self.fd], [], [], 0.2)
                if r:  # a read without input would wait past the timeout
                    os.read(self.fd, 4096)
            except OSError:
                pass
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        return None


if EDIT:
    LEFT, UP = "\x1b[D", "\x1b[A"
    # the turn as edited: "ab", Left, "X" is "aXb"
    t = Term("--chat", "--print-prompt")
    t.read_until("> ")
    t.send("ab" + LEFT + "X\r")
    found, got = t.read_until("<|im_start|>assistant")
    check("line editing: ab, Left, X reads as the turn aXb", found and "user\r\naXb<|im_end|>" in got, got)
    t.wait()
    # Up recalls the previous line: /help again
    t = Term("--chat", "--temp", "0", "-n", "4")
    t.read_until("> ")
    t.send("/help\r")
    t.read_until("> ")
    t.send(UP + "\r")
    found, got = t.read_until("/reset")
    check("history: Up recalls the previous turn", found, got)
    t.read_until("> ")
    t.send("And God" + LEFT * 3 + "\x7f" + "\r")  # Backspace in the middle: "AndGod"
    found, got = t.read_until("> ")
    check("a turn edited with Backspace gets a reply", found and len(got.strip()) > 0, got)
    t.send("\x04")
    st = t.wait()
    check("Ctrl+D ends the program (line editing)", st is not None and os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, str(st))

t = Term("--temp", "0", "-n", "6")
found, got = t.read_until("> ")
check("no arguments on a terminal starts a chat", found, got)
t.send("/help\n")
found, got = t.read_until("> ")
check("/help lists the commands", found and "/reset" in got, got)
t.send("\n")
found, got = t.read_until("> ")
check("an empty line sends nothing (the prompt again, no reply)", found and got.rsplit("> ", 1)[0].strip() == "", got)
t.send("And God \\\n")
found, got = t.read_until(". ")
check("a line ending in \\ continues on the next", found, got)
t.send("said\n")
found, got = t.read_until("> ")
check("the joined turn gets a reply", found and len(got.strip()) > 0, got)
t.send("/reset\n")
found, got = t.read_until("> ")
check("/reset starts a new conversation", found and "new conversation" in got, got)
t.send("\x03")
st = t.wait()
check("Ctrl+C at the prompt ends the program", st is not None and os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, str(st))

# Ctrl+C during a long reply (it runs until a large context is full): back
# to the prompt, the conversation goes on
t = Term("--chat", "--temp", "0", "-n", "-1", "--ignore-eos", "--ctx", "20000")
t.read_until("> ")
t.send("In the beginning\n")
time.sleep(0.5)
t.send("\x03")
found, got = t.read_until("> ", timeout=30)
check("Ctrl+C stops the reply and returns to the prompt", found and "(stopped)" in got, got)
t.send("And Adam\n")
time.sleep(0.5)
t.send("\x03")
found, got = t.read_until("> ", timeout=30)
check("the conversation goes on after a stopped reply", found and "(stopped)" in got, got)
t.send("/exit\n")
st = t.wait()
check("/exit ends the program", st is not None and os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, str(st))

# a small context: the oldest turns are dropped, with a notice
t = Term("--chat", "--temp", "0", "-n", "8", "--ctx", "64")
t.read_until("> ")
notes = ""
for i in range(6):
    t.send("And God said unto Moses\n")
    found, got = t.read_until("> ")
    notes += got
check("a full context drops the oldest turns with a notice", "oldest" in notes and "dropped" in notes, notes)
t.send("\x04")
st = t.wait()
check("Ctrl+D ends the program", st is not None and os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, str(st))
sys.exit(1 if fails else 0)
