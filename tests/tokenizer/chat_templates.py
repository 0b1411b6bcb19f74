#!/usr/bin/env python3
"""tests/tokenizer/chat_templates.py VENUSC: chat templates rendered by venus
(runtime/jinja.c through `venusc chat-template`) against jinja2 (python3-jinja2,
the test oracle), configured as transformers' apply_chat_template configures
it: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loop controls,
its tojson, raise_exception and strftime_now. Every text must be equal, byte
for byte; a conversation jinja2 refuses (raise_exception) venus refuses with
the template's own message. Then small templates for each construct, the
constructs venus does not evaluate (one line naming it and where) and the
sandbox's limits."""
import glob, gzip, json, os, struct, subprocess, sys, tempfile, time
from datetime import datetime

try:
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    print("FAIL  chat templates: python3-jinja2 is needed (tools/deps.sh installs it)")
    sys.exit(1)

VENUSC = sys.argv[1] if len(sys.argv) > 1 else "./venusc"
work = tempfile.mkdtemp(prefix="chat.")
passed = failed = 0


def ok(name):
    global passed
    passed += 1


def no(name, detail=""):
    global failed
    failed += 1
    print("FAIL  " + name)
    if detail:
        print("      " + detail[:600].replace("\n", "\n      "))


class Refused(Exception):
    pass


def oracle(template, messages, gen, bos, eos, think):
    """transformers' apply_chat_template(tokenize=False)"""
    def raise_exception(message):
        raise Refused(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda f: datetime.now().strftime(f)
    kw = {}
    if bos is not None:
        kw["bos_token"] = bos
    if eos is not None:
        kw["eos_token"] = eos
    if think is not None:
        kw["enable_thinking"] = think
    return env.from_string(template).render(messages=messages, tools=None, documents=None,
                                            add_generation_prompt=gen, **kw)


def venus(src, messages, gen, think, bos=None, eos=None, template=None):
    mf = os.path.join(work, "m.json")
    json.dump(messages, open(mf, "w"))
    cmd = [VENUSC, "chat-template"] + ([src] if src else []) + ["--messages", mf]
    if template is not None:
        tf = os.path.join(work, "t.jinja")
        open(tf, "w").write(template)
        cmd += ["--template", tf]
    if gen:
        cmd.append("--add-generation-prompt")
    if think is not None:
        cmd.append("--enable-thinking" if think else "--no-thinking")
    if bos is not None:
        cmd += ["--bos", bos]
    if eos is not None:
        cmd += ["--eos", eos]
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


def gguf_template(path):
    """tokenizer.chat_template of a GGUF file (its metadata, read here independently)"""
    d = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    assert d[:4] == b"GGUF"
    nkv = struct.unpack_from("<Q", d, 16)[0]
    p = 24
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def string(p):
        n = struct.unpack_from("<Q", d, p)[0]
        return d[p + 8:p + 8 + n], p + 8 + n

    def skip(t, p):
        if t == 8:
            return string(p)[1]
        if t == 9:
            et, n = struct.unpack_from("<IQ", d, p)
            p += 12
            for _ in range(n):
                p = skip(et, p)
            return p
        return p + sizes[t]
    for _ in range(nkv):
        k, p = string(p)
        t = struct.unpack_from("<I", d, p)[0]
        p += 4
        if k == b"tokenizer.chat_template":
            return string(p)[0].decode()
        p = skip(t, p)
    return None


# conversations of system/user/assistant turns; content with whitespace at the
# ends, quotes, non-ASCII text and text that looks like template syntax
CONVS = [
    [{"role": "user", "content": "Hello"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi there"}],
    [{"role": "system", "content": "  Be kind.\n"}, {"role": "user", "content": " one "},
     {"role": "assistant", "content": "two\n"}, {"role": "user", "content": "three"}],
    [{"role": "user", "content": "a"}, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nb"},
     {"role": "user", "content": "c 'q' \"dq\" \u00e9\u00e8 \u4e2d\u6587 \U0001F600\t{{ x }} {% if %}"}],
    [{"role": "user", "content": "first"}, {"role": "assistant", "content": "reply"},
     {"role": "user", "content": "second"}, {"role": "assistant", "content": "  spaced  "},
     {"role": "user", "content": "\n\nthird\n"}],
    [{"role": "system", "content": "S"}, {"role": "user", "content": "u"}, {"role": "assistant", "content": "x"}],
    [{"role": "user", "content": "x"}, {"role": "user", "content": "y"}],  # roles that do not alternate
    [{"role": "user", "content": ""}],
]

# the templates: tests/fixtures/chat/*.json (real models' tokenizer_config.json
# chat_template, and two written for venus) and the phi-3 vocabulary file's own
cases = []
for f in sorted(glob.glob("tests/fixtures/chat/*.json")):
    d = json.load(open(f))
    cases.append((os.path.basename(f), f, d["chat_template"], d.get("bos_token"), d.get("eos_token")))
phi = "tests/fixtures/llamacpp-vocab/ggml-vocab-phi-3.gguf.gz"
phi_path = os.path.join(work, "phi-3.gguf")
open(phi_path, "wb").write(gzip.open(phi).read())
cases.append(("phi-3.gguf", phi_path, gguf_template(phi_path), None, None))

t0 = time.time()
refused = rendered = 0
for name, path, tmpl, bos, eos in cases:
    # a fixture without special tokens gets them on both sides; the GGUF file's
    # come from its own tokens (venus reads them; jinja2 is given what they are)
    gguf = path.endswith(".gguf")
    fb, fe = ("<s>", "<|endoftext|>") if gguf else (bos or "<s>", eos or "</s>")
    for ci, conv in enumerate(CONVS):
        for gen in (False, True):
            for think in (None, False, True) if "enable_thinking" in tmpl else (None,):
                label = "%s conversation %d%s%s" % (name, ci, " +generation prompt" if gen else "",
                                                     "" if think is None else " enable_thinking=%s" % think)
                try:
                    want, why = oracle(tmpl, conv, gen, fb, fe, think), None
                except Refused as e:
                    want, why = None, str(e)
                rc, got, err = venus(path, conv, gen, think, None if gguf else fb, None if gguf else fe)
                if want is not None:
                    rendered += 1
                    if rc == 0 and got == want:
                        ok(label)
                    else:
                        no(label, "want %r\ngot  %r %s" % (want[:300], got[:300], err.strip()))
                else:
                    refused += 1
                    if rc == 1 and why in err and err.count("\n") == 1 and not got:
                        ok(label)
                    else:
                        no(label + " (refused by jinja2: %s)" % why, "rc %d, stderr %r" % (rc, err))
print("ok    chat templates: %d templates x %d conversations: %d rendered equal to jinja2, %d refused as jinja2 refuses (%.1fs)"
      % (len(cases), len(CONVS), rendered, refused, time.time() - t0) if not failed else
      "      chat templates: %d failures" % failed)

# ---- constructs, each against jinja2 ----
M = [{"role": "system", "content": "sys"}, {"role": "user", "content": " Hi, 'you' "},
     {"role": "assistant", "content": "Yo</think>done"}, {"role": "user", "content": "again"}]
CONSTRUCTS = [
    "{% for m in messages %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
    "{% for m in messages if m.role != 'system' %}{{ loop.index }}:{{ m.role }} {% else %}none{% endfor %}",
    "{% for m in [] %}x{% else %}empty{% endfor %}",
    "{% for m in messages %}{% if loop.index0 == 2 %}{% break %}{% endif %}{% if m.role == 'system' %}{% continue %}{% endif %}{{ m.role }}{% endfor %}",
    "{% set ns = namespace(n=0, s='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.s = ns.s ~ m.role[0] %}{% endfor %}{{ ns.n }} {{ ns.s }}",
    "{% set x = 1 %}{% for m in messages %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}",
    "{% if messages[0].role == 'system' %}{% set sm = messages[0].content %}{% set rest = messages[1:] %}{% endif %}{{ sm }}|{{ rest | length }}",
    "{{ messages[::-1] | map(attribute='role') | join(',') }} {{ messages[-1].content }} {{ messages[1:3] | length }}",
    "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='role') | join('/') }}",
    "{{ messages[1].content | trim }}|{{ messages[1].content.strip() }}|{{ messages[1].content.lstrip() }}|{{ messages[1].content.rstrip(' ') }}|",
    "{{ 'a,b,,c'.split(',') }} {{ ' x  y '.split() }} {{ 'x</think>y'.split('</think>')[-1] }} {{ 'a-b-c'.split('-', 1) }}",
    "{{ 'Hello' | upper }}{{ 'Hello' | lower }}{{ 'hello world' | title }}{{ 'hello' | capitalize }}{{ 'abc'.upper() }}",
    "{{ 'aXbX' | replace('X', '-') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }}",
    "{{ messages | tojson }}",
    "{{ {'a': [1, 2.5, none, true, 'q\"\\\\'], 'b': {}} | tojson }} {{ {'k': 'v'} | tojson(indent=2) }}",
    "{{ none }} {{ true }} {{ 1.0 }} {{ 1.5e20 }} {{ 0.1 + 0.2 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1e-5 }}",
    "{{ [1, 'a', none, [true]] }} {{ {'a': 1, 'b': 'x'} }} {{ ('t', 1) }} {{ 'it\\'s' ~ \"\" }} {{ [\"it's\"] }}",
    "{{ x | default('dflt') }} {{ '' | default('e', true) }} {{ none | default('n') }} {{ messages[9] is defined }} {{ messages[0].nope is defined }}",
    "{{ 'x' is string }} {{ messages is iterable }} {{ messages[0] is mapping }} {{ none is none }} {{ 3 is number }} {{ 'a' is equalto 'a' }} {{ 4 is divisibleby 2 }} {{ 3 is odd }}",
    "{{ 'b' in 'abc' }} {{ 'z' not in 'abc' }} {{ 'role' in messages[0] }} {{ 2 in [1, 2] }} {{ not true or false and true }} {{ 1 < 2 <= 2 }} {{ 'a' < 'b' }}",
    "{{ 'yes' if messages | length > 3 else 'no' }} {{ ('' if false) ~ '|' }}",
    "{{ messages[0]['role'] }}{{ messages[0].get('role') }}{{ messages[0].get('x', 'd') }} {% for k, v in messages[0].items() %}{{ k }}={{ v }};{% endfor %} {{ messages[0] | items | list | length }}",
    "{{ (messages | first).role }} {{ (messages | last).content }} {{ 'abc' | first }} {{ [3, 1, 2] | max }} {{ [3, 1, 2] | min }} {{ [1, 2, 3] | sum }}",
    "{{ 'h\u00e9llo'[1] }} {{ 'h\u00e9llo'[1:3] }} {{ 'h\u00e9llo' | length }} {{ 'abc'[::-1] }} {{ 'h\u00e9llo'[::2] }} {{ 'abc' | reverse }} {{ [1, 2, 3] | reverse | list }}",
    "{% macro turn(role, text='none') %}<{{ role }}>{{ text }}</{{ role }}>{% endmacro %}{% for m in messages %}{{ turn(m.role, m.content) }}{{ turn('x') }}{% endfor %}",
    "{% set block %}A{{ messages | length }}B{% endset %}[{{ block }}]",
    "{# a comment #}x{#- trimmed -#}   y {{- ' z ' -}}  w",
    "a\n  {% if true %}\n    b\n  {% endif %}\nc\n{% for i in range(3) %}\n{{ i }}\n{% endfor %}\nd   {%+ if true %}e{% endif %}\n\t{% if true -%}   f {%- endif %}\n",
    "{%- if true %}\n  one\n{%- endif %}\n{% if true %}  two  {% endif %}\n  {# c #}\nthree",
    "{{ '\\n\\t\\u00e9\\x41\\\\' }}{{ \"a\" 'b' }}",
    "{{ range(5) | list }} {{ range(1, 10, 3) | list }} {{ [1, 2, 2, 3] | unique | list }} {{ 'a' * 3 }} {{ [1] + [2] }}",
    "{{ 42 | string }}{{ '5' | int + 1 }}{{ '2.5' | float }}{{ -3 | abs }}{{ 3.7 | int }}",
    "{% if enable_thinking is defined and enable_thinking is false %}off{% elif enable_thinking %}on{% else %}default{% endif %}",
    "{{ bos_token }}{{ eos_token }}{% if add_generation_prompt %}GEN{% endif %}{{ tools is none }}",
    "{{ 'line1\\nline2\\n\\nline4' | indent(2) }}|{{ 'a\\nb' | indent(3, true) }}",
    "{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}|{{ 'abc'.find('c') }}{{ 'aaa'.count('a') }}",
]
for gen in (False, True):
    for i, t in enumerate(CONSTRUCTS):
        for think in (None, False, True) if "enable_thinking" in t else (None,):
            label = "construct %d%s%s: %s" % (i, " +gen" if gen else "", "" if think is None else " think=false", t[:50].replace("\n", "\\n"))
            try:
                want = oracle(t, M, gen, "<B>", "<E>", think)
            except Exception as e:  # a construct jinja2 itself refuses is a broken test
                no(label + " (jinja2: %s)" % e)
                continue
            rc, got, err = venus(None, M, gen, think, "<B>", "<E>", template=t)
            if rc == 0 and got == want:
                ok(label)
            else:
                no(label, "want %r\ngot  %r %s" % (want, got, err.strip()))

# ---- what venus does not evaluate: one line naming the construct and where ----
UNSUPPORTED = [
    ("{% call foo() %}x{% endcall %}", "line 1, column 4: the tag 'call' is not supported"),
    ("ok\n{{ messages | dictsortx }}", "line 2, column 15: the filter 'dictsortx' is not supported"),
    ("{{ x is foo }}", "line 1, column 9: the test 'foo' is not supported"),
    ("{% if true %}never closed", "line 1, column 4: the 'if' tag is not closed (expected 'endif')"),
    ("{% for x in y %}", "line 1, column 4: the 'for' tag is not closed (expected 'endfor')"),
    ("{{ 'unterminated }}", "line 1, column 4: a string is not closed"),
    ("{% endif %}", "line 1, column 4: unexpected 'endif' (no tag open)"),
    ("{% break %}", "line 1, column 4: 'break' outside a for loop"),
    ("{{ messages[0].content.zfill(3) }}", "'zfill' is undefined and cannot be called"),
    ("{{ 1 / 0 }}", "line 1, column 6: division by zero"),
    ("{{ raise_exception('no system role, please') }}", "the template refuses this conversation: no system role, please"),
    ("{% set x.y = 1 %}", "only a namespace() takes attributes"),
]
for t, want in UNSUPPORTED:
    rc, got, err = venus(None, M, True, None, "<B>", "<E>", template=t)
    label = "refused: %s" % t[:40].replace("\n", "\\n")
    if rc == 1 and not got and err.count("\n") == 1 and want in err and err.startswith("venusc: "):
        ok(label)
    else:
        no(label, "rc %d, want %r in %r" % (rc, want, err))

# ---- the sandbox's limits: each ends the render with one line naming it ----
LIMITS = [
    ("{% for i in range(1000000) %}{% for k in range(1000000) %}{% endfor %}{% endfor %}", "steps (the limit)"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "macro calls nest deeper than 128 (the limit)"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "the template nests deeper than 128 (the limit)"),
    ("{{ 'x' * 100000000000 }}", "larger than the memory limit"),
    ("{% for i in range(1000000) %}" + "x" * 100 + "{% endfor %}", "output passed"),
    ("{% for i in range(10000000) %}{% endfor %}", "range of 10000000 values"),
    ("{{ 1" + " + 1" * 100000 + " }}", "nests deeper than 512 when it runs (the limit)"),
    ("{% if false %}" + "{% elif false %}" * 100000 + "{% endif %}", "nests deeper than 512 (the limit)"),
    ("{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x == ns.x }}",
     "nests deeper than 512 when it runs (the limit)"),
    ("{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}",
     "nests deeper than 512 when it runs (the limit)"),
]
for t, want in LIMITS:
    s = time.time()
    rc, got, err = venus(None, M, True, None, "<B>", "<E>", template=t)
    dt = time.time() - s
    label = "limit: %s (%.1fs)" % (want, dt)
    if rc == 1 and not got and err.count("\n") == 1 and want in err and dt < 60:
        ok(label)
    else:
        no(label, "rc %d, want %r in %r" % (rc, want, err))

# ---- bad input to the command ----
bad_msgs = os.path.join(work, "bad.json")
for content, want in (('{"role": "user"}', "the messages must be a JSON list"),
                      ('[{"role": "user"}]', "message 1: an object with string 'role' and 'content' is needed"),
                      ('[1, 2', bad_msgs)):
    open(bad_msgs, "w").write(content)
    r = subprocess.run([VENUSC, "chat-template", "tests/fixtures/chat/llama3.json", "--messages", bad_msgs],
                       capture_output=True, text=True)
    if r.returncode == 1 and want in r.stderr and r.stderr.count("\n") == 1:
        ok("bad messages: " + want)
    else:
        no("bad messages: " + want, r.stderr)
r = subprocess.run([VENUSC, "chat-template", "tests/fixtures/chat", "--messages", bad_msgs], capture_output=True, text=True)
if r.returncode == 1 and "no tokenizer_config.json" in r.stderr:
    ok("a directory without tokenizer_config.json")
else:
    no("a directory without tokenizer_config.json", r.stderr)
r = subprocess.run([VENUSC, "chat-template", "--messages"], capture_output=True, text=True)
if r.returncode == 2 and r.stderr.startswith("venusc: chat-template: --messages needs a value"):
    ok("usage error")
else:
    no("usage error", r.stderr)

print("%s    chat templates: %d passed, %d failed (%.1fs)" % ("ok" if not failed else "FAIL", passed, failed, time.time() - t0))
sys.exit(1 if failed else 0)
