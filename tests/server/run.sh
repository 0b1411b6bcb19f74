#!/bin/sh
# tests/server/run.sh: a model binary built with `venusc compile --server`
# speaks the OpenAI API on loopback: every endpoint with curl, malformed and
# oversized requests, streaming, IPv6, the official `openai` npm client, and
# a bounded load with wrk (no crash, bounded memory, every response 200).
# Traffic goes only to 127.0.0.1 and [::1].
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "server: build ./venusc first (make)"; exit 2; }
work=$(mktemp -d); pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$work"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok    $1"; }
no() { fail=$((fail+1)); echo "FAIL  $1"; }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
M=examples/tiny-kjv
# a copy of the demo model with a ChatML chat template (as tests/cli does)
d="$work/chat"; mkdir -p "$d"
cp $M/config.json $M/model.safetensors $M/tokenizer.json "$d/"
python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c.update(json.load(open(sys.argv[2]))); json.dump(c, open(sys.argv[3], 'w'))" \
  $M/tokenizer_config.json tests/fixtures/chat/qwen3.json "$d/tokenizer_config.json"
./venusc compile "$d" -o "$work/s" --server 2>"$work/cerr" || { cat "$work/cerr"; echo "server: compile --server failed"; exit 1; }
./venusc compile $M -o "$work/plain" 2>/dev/null || exit 1

# without --server, --serve says so
"$work/plain" --serve 127.0.0.1:0 >/dev/null 2>"$work/err"; rc=$?
check "--serve without --server exits 2" '[ $rc -eq 2 ] && grep -q "built without the server" "$work/err"'

# start ADDR [BINARY [FLAGS...]] -> sets $url, $spid
start() {
  a=$1 b=${2:-$work/s}; shift; [ $# -gt 0 ] && shift
  "$b" --serve "$a" --temp 0 -t 1 "$@" 2>"$work/srv.log" &
  spid=$!; pids="$pids $spid"
  for i in $(seq 1 100); do
    url=$(sed -n 's/.*listening on \(http:[^ ]*\)$/\1/p' "$work/srv.log")
    [ -n "$url" ] && return 0
    kill -0 $spid 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/srv.log"; return 1
}
start 127.0.0.1:0 || { echo "server: did not start"; exit 1; }
ok "listening line on stderr ($url)"
post() { curl -s -o "$work/body" -w '%{http_code}' -H 'Content-Type: application/json' "$url$1" --data-binary "$2"; }
js() { python3 -c "import json,sys; d=json.load(open('$work/body')); print($1)" 2>/dev/null; }

code=$(curl -s -o "$work/body" -w '%{http_code}' "$url/health"); check "/health 200" '[ "$code" = 200 ] && [ "$(js "d[\"status\"]")" = ok ]'
code=$(curl -s -o "$work/body" -w '%{http_code}' "$url/v1/models"); check "/v1/models lists the model" '[ "$code" = 200 ] && [ "$(js "d[\"data\"][0][\"id\"]")" = s ]'
want=$(python3 -c "import json; r=json.load(open('$M/reference.json')); print(r['text'] if 'text' in r else '')" 2>/dev/null)
code=$(post /v1/completions '{"model":"whatever","prompt":"In the beginning","max_tokens":32,"temperature":0}')
got=$(js "d['choices'][0]['text']")
check "/v1/completions 200" '[ "$code" = 200 ]'
check "/v1/completions: the greedy text of the binary" '[ "$("$work/s" -p "In the beginning" -n 32 --temp 0 2>/dev/null)" = "In the beginning$got" ]'
check "usage counts tokens" '[ "$(js "d[\"usage\"][\"prompt_tokens\"]")" = 3 ] && [ "$(js "d[\"usage\"][\"completion_tokens\"]")" = 32 ]'
# streaming: the same text in pieces, then [DONE]
curl -sN -H 'Content-Type: application/json' "$url/v1/completions" \
  --data-binary '{"prompt":"In the beginning","max_tokens":32,"temperature":0,"stream":true}' >"$work/sse"
check "stream ends with data: [DONE]" '[ "$(grep -v "^$" "$work/sse" | tail -1)" = "data: [DONE]" ]'
sgot=$(python3 - "$work/sse" <<'PY'
import json, sys
t = ""
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("data: {"):
        t += json.loads(line[6:])["choices"][0]["text"]
print(t)
PY
)
check "stream text = one-shot text" '[ "$sgot" = "$got" ]'
code=$(post /v1/completions '{"prompt":"In the beginning","max_tokens":64,"temperature":0,"stop":[" earth"]}')
check "stop string ends the text before it" '[ "$code" = 200 ] && [ "$(js "d[\"choices\"][0][\"finish_reason\"]")" = stop ] && ! js "d[\"choices\"][0][\"text\"]" | grep -q earth'
code=$(post /v1/chat/completions '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"And God said"}],"max_tokens":8,"temperature":0}')
check "/v1/chat/completions 200 with an assistant message" '[ "$code" = 200 ] && [ "$(js "d[\"choices\"][0][\"message\"][\"role\"]")" = assistant ]'
# the chat reply is the binary's own --chat reply
cgot=$(js "d['choices'][0]['message']['content']")
cwant=$("$work/s" --chat --system "Be brief." -p "And God said" -n 8 --temp 0 2>/dev/null)
check "chat reply = --chat reply" '[ "$cgot" = "$cwant" ]'
# the request's chat_template_kwargs reach the template: as --chat --no-thinking
code=$(post /v1/chat/completions '{"messages":[{"role":"user","content":"And God said"}],"max_tokens":8,"temperature":0,"chat_template_kwargs":{"enable_thinking":false}}')
cgot=$(js "d['choices'][0]['message']['content']")
cwant=$("$work/s" --chat --no-thinking -p "And God said" -n 8 --temp 0 2>/dev/null)
check "chat_template_kwargs enable_thinking=false = --chat --no-thinking" '[ "$code" = 200 ] && [ "$cgot" = "$cwant" ]'
curl -sN -H 'Content-Type: application/json' "$url/v1/chat/completions" \
  --data-binary '{"messages":[{"role":"user","content":"And God said"}],"max_tokens":8,"stream":true}' >"$work/sse"
check "chat stream: chunks then [DONE]" 'grep -q "chat.completion.chunk" "$work/sse" && [ "$(grep -v "^$" "$work/sse" | tail -1)" = "data: [DONE]" ]'

# bad requests: 4xx with an OpenAI-style error body, and the server lives on
err_ok() { python3 -c "import json; e=json.load(open('$work/body'))['error']; assert e['message'] and e['type']" 2>/dev/null; }
for c in '400 /v1/completions {bad' '400 /v1/completions []' '400 /v1/completions {"prompt":5}' \
         '400 /v1/completions {"prompt":"x","max_tokens":-1}' '400 /v1/completions {"prompt":"x","temperature":"hot"}' \
         '400 /v1/completions {"prompt":"x","n":3}' '400 /v1/completions {"prompt":"x","stop":[1]}' \
         '400 /v1/chat/completions {"messages":[]}' '400 /v1/chat/completions {"messages":[{"role":"assistant","content":"x"}]}' \
         '400 /v1/chat/completions {"messages":[{"role":"user","content":[{"type":"image_url"}]}]}' \
         '400 /v1/chat/completions {"messages":[{"role":"user","content":"x"}],"chat_template_kwargs":{"enable_thinking":1}}' \
         '400 /v1/embeddings {"input":"x"}' '404 /v1/nothing {}'; do
  want_code=${c%% *}; rest=${c#* }; path=${rest%% *}; body=${rest#* }
  code=$(post "$path" "$body")
  check "$path $body -> $want_code" '[ "$code" = "$want_code" ] && err_ok'
done
code=$(curl -s -o "$work/body" -w '%{http_code}' "$url/v1/completions"); check "GET /v1/completions -> 405" '[ "$code" = 405 ] && err_ok'
# a URL that decodes to bytes that are not UTF-8 (and a newline) is still answered in JSON
code=$(curl -s -o "$work/body" -w '%{http_code}' "$url/v1/%93%9B%9Als%0Ax"); check "GET /v1/%93%9B%9Als%0Ax -> 404 with a JSON error" '[ "$code" = 404 ] && err_ok'
python3 -c "import json; print(json.dumps({'prompt': 'a ' * 600000}))" >"$work/big.json"
code=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Content-Type: application/json' "$url/v1/completions" --data-binary @"$work/big.json")
check "a body over 1 MiB -> 413" '[ "$code" = 413 ] && err_ok'
python3 -c "import json; print(json.dumps({'prompt': 'In the beginning ' * 3000, 'max_tokens': 1}))" >"$work/long.json"
code=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Content-Type: application/json' "$url/v1/completions" --data-binary @"$work/long.json")
check "a prompt past the context -> 400 context_length_exceeded" '[ "$code" = 400 ] && [ "$(js "d[\"error\"][\"code\"]")" = context_length_exceeded ]'
# garbage on the socket, and a client that leaves mid-stream
python3 - "$url" <<'PY'
import socket, sys, os
host, port = sys.argv[1].split("//")[1].rsplit(":", 1)
for junk in (b"\x00\xff" * 500, b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 100000 + b"\r\n\r\n", b"POST /v1/completions HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n{"):
    s = socket.create_connection((host, int(port)), timeout=5)
    try:
        s.sendall(junk); s.recv(100)
    except OSError:
        pass
    s.close()
s = socket.create_connection((host, int(port)), timeout=5)
body = b'{"prompt":"In the beginning","max_tokens":200,"stream":true}'
s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
s.recv(200); s.close()
PY
code=$(post /v1/completions '{"prompt":"In the beginning","max_tokens":4}')
check "alive after garbage and a client that left mid-stream" '[ "$code" = 200 ] && kill -0 $spid'

# the official openai client (npm), through the same server
if command -v npm >/dev/null 2>&1; then
  oc=.cache/openai
  if [ ! -d $oc/node_modules/openai ]; then
    mkdir -p $oc && (cd $oc && npm install --silent --no-audit --no-fund --no-save openai@4 >/dev/null 2>&1)
  fi
  if [ -d $oc/node_modules/openai ]; then
    NODE_PATH=$PWD/$oc/node_modules URL="$url" node - >"$work/node.out" 2>&1 <<'JS'
const OpenAI = require("openai");
const c = new OpenAI({ baseURL: process.env.URL + "/v1", apiKey: "none" });
(async () => {
  const m = await c.models.list();
  const r = await c.chat.completions.create({ model: m.data[0].id, messages: [{ role: "user", content: "And God said" }], max_tokens: 8, temperature: 0 });
  let s = "";
  const st = await c.chat.completions.create({ model: "x", messages: [{ role: "user", content: "And God said" }], max_tokens: 8, temperature: 0, stream: true });
  for await (const ch of st) s += ch.choices[0].delta.content || "";
  const t = await c.completions.create({ model: "x", prompt: "In the beginning", max_tokens: 8, temperature: 0 });
  let err = "";
  try { await c.completions.create({ model: "x", prompt: 5 }); } catch (e) { err = e.status + " " + e.message; }
  console.log(JSON.stringify({ chat: r.choices[0].message.content, stream: s, text: t.choices[0].text, err }));
})().catch(e => { console.log("ERROR " + e); process.exit(1); });
JS
    check "openai client: chat, streamed chat, completion, error" 'python3 -c "import json; d=json.loads(open(\"$work/node.out\").read().splitlines()[-1]); assert d[\"chat\"] == d[\"stream\"] and d[\"chat\"] and d[\"text\"] and d[\"err\"].startswith(\"400\")"'
  else no "openai client: npm install openai failed"; fi
else no "openai client: npm is not installed"; fi

# load: wrk, bounded in time, N concurrent clients
if command -v wrk >/dev/null 2>&1; then
  rss0=$(awk '/VmRSS/ {print $2}' /proc/$spid/status)
  cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"prompt":"In the beginning","max_tokens":8}'
local bad = 0
response = function(status, headers, body) if status ~= 200 or not body:find('"choices"') then bad = bad + 1 end end
done = function(summary, latency, requests) io.write(string.format("wrk: bad %d\n", bad)) end
LUA
  wrk -t 2 -c 8 -d 5s --timeout 10s --latency -s "$work/post.lua" "$url/v1/completions" >"$work/wrk.out" 2>&1
  rss1=$(awk '/VmRSS/ {print $2}' /proc/$spid/status 2>/dev/null)
  sed -n 's/^/      /; /Latency\|50%\|90%\|99%\|Requests\/sec\|requests in\|Non-2xx\|bad/p' "$work/wrk.out"
  check "load: server alive, every response a 200 completion" 'kill -0 $spid && grep -q "^wrk: bad 0$" "$work/wrk.out" && ! grep -q "Non-2xx\|Socket errors" "$work/wrk.out"'
  check "load: memory bounded (RSS ${rss0} -> ${rss1} kB)" '[ -n "$rss1" ] && [ "$rss1" -lt $((rss0 + 65536)) ]'
else no "load test: wrk is not installed (tools/deps.sh installs it)"; fi
kill $spid; wait $spid 2>/dev/null

# IPv6 loopback, where the machine has it
if [ -f /proc/net/if_inet6 ] && python3 -c "import socket; s=socket.socket(socket.AF_INET6); s.bind(('::1', 0))" 2>/dev/null; then
  if start "[::1]:0"; then
    code=$(curl -s -o "$work/body" -w '%{http_code}' -g "$url/health")
    check "IPv6 [::1]: /health 200 ($url)" '[ "$code" = 200 ]'
    kill $spid; wait $spid 2>/dev/null
  else no "IPv6 [::1]:0 did not start"; fi
else echo "skip  IPv6: no ::1 on this machine"; fi
# /v1/embeddings on an encoder model (the bert fixture with a tokenizer and a
# sentence-transformers CLS pooling): each embedding is the binary's --embed
e="$work/enc"; mkdir -p "$e/1_Pooling"; cp tests/fixtures/hf/bert/config.json tests/fixtures/hf/bert/model.safetensors "$e/"
python3 tests/cli/embed_tok.py "$e/tokenizer.json"
echo '[{"type": "sentence_transformers.models.Transformer", "path": ""}, {"type": "sentence_transformers.models.Pooling", "path": "1_Pooling"}]' >"$e/modules.json"
echo '{"pooling_mode_cls_token": true}' >"$e/1_Pooling/config.json"
./venusc compile "$e" -o "$work/enc.bin" --server 2>/dev/null || no "compile an encoder --server"
if start 127.0.0.1:0 "$work/enc.bin"; then
  "$work/enc.bin" --embed -p "And God said" -t 1 >"$work/p.json" 2>/dev/null
  "$work/enc.bin" --embed -p "let there be light" -t 1 >>"$work/p.json" 2>/dev/null
  "$work/enc.bin" --embed --ids 5,9,13 -t 1 >"$work/ids.json" 2>/dev/null
  # same FILE LINE: data[0].embedding of the body = line LINE of FILE (within 1e-6)
  same() { python3 - "$work/body" "$1" "$2" "${3:-0}" <<'PY'
import base64, json, struct, sys
d = json.load(open(sys.argv[1]))
want = json.loads(open(sys.argv[2]).read().splitlines()[int(sys.argv[3])])
got = d["data"][int(sys.argv[4])]["embedding"]
if isinstance(got, str):
    b = base64.b64decode(got); got = list(struct.unpack("<%df" % (len(b) // 4), b))
assert d["object"] == "list" and d["data"][int(sys.argv[4])]["index"] == int(sys.argv[4]) and d["usage"]["prompt_tokens"] > 0
assert len(got) == len(want) and max(abs(x - y) for x, y in zip(got, want)) <= 1e-6
PY
  }
  code=$(post /v1/embeddings '{"model":"x","input":"And God said"}')
  check "/v1/embeddings: a string = --embed -p" '[ "$code" = 200 ] && same "$work/p.json" 0'
  code=$(post /v1/embeddings '{"input":["And God said","let there be light"]}')
  check "/v1/embeddings: a list of strings, in order" '[ "$code" = 200 ] && same "$work/p.json" 0 0 && same "$work/p.json" 1 1'
  code=$(post /v1/embeddings '{"input":[5,9,13]}')
  check "/v1/embeddings: token ids = --embed --ids" '[ "$code" = 200 ] && same "$work/ids.json" 0 && [ "$(js "d[\"usage\"][\"prompt_tokens\"]")" = 3 ]'
  code=$(post /v1/embeddings '{"input":[[5,9,13],[5,9,13]],"encoding_format":"base64"}')
  check "/v1/embeddings: lists of ids, base64" '[ "$code" = 200 ] && same "$work/ids.json" 0 1'
  for c in '{"input":[]}' '{"input":[[]]}' '{"input":[1,99999]}' '{"input":{"a":1}}' '{"input":"x","encoding_format":"hex"}' \
           '{"input":"x","dimensions":3}' "{\"input\":[$(python3 -c "print(','.join(['5'] * 600))")]}"; do
    code=$(post /v1/embeddings "$c")
    check "/v1/embeddings $(echo "$c" | cut -c1-40) -> 400" '[ "$code" = 400 ] && err_ok'
  done
  code=$(post /v1/completions '{"prompt":"x"}')
  check "an encoder refuses /v1/completions (400, names /v1/embeddings)" '[ "$code" = 400 ] && grep -q "v1/embeddings" "$work/body"'
  if [ -d .cache/openai/node_modules/openai ]; then
    NODE_PATH=$PWD/.cache/openai/node_modules URL="$url" node - >"$work/node.out" 2>&1 <<'JS'
const OpenAI = require("openai");
const c = new OpenAI({ baseURL: process.env.URL + "/v1", apiKey: "none" });
(async () => {
  const a = await c.embeddings.create({ model: "x", input: ["And God said", "let there be light"] });
  const f = await c.embeddings.create({ model: "x", input: "And God said", encoding_format: "float" });
  console.log(JSON.stringify({ a: a.data.map(d => d.embedding), f: f.data[0].embedding, usage: a.usage }));
})().catch(e => { console.log("ERROR " + e); process.exit(1); });
JS
    check "openai client: embeddings (base64 by default, and float) = --embed" 'python3 - "$work/node.out" "$work/p.json" <<PY
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
w = [json.loads(l) for l in open(sys.argv[2])]
for g, x in ((d["a"][0], w[0]), (d["a"][1], w[1]), (d["f"], w[0])):
    assert len(g) == len(x) and max(abs(p - q) for p, q in zip(g, x)) <= 1e-6
assert d["usage"]["prompt_tokens"] > 0
PY'
  else no "openai client: not installed for the embeddings check"; fi
  kill $spid; wait $spid 2>/dev/null
else no "the encoder server did not start"; fi

# the context's boundary: a prompt of P tokens with --ctx C gets C - P + 1
# tokens (the last position's logits give one more, sent but not fed back);
# a prompt of exactly C tokens gets one
comp() { curl -s -o "$work/body" -H 'Content-Type: application/json' "$url/v1/completions" -d "{\"prompt\": \"In the beginning God\", \"max_tokens\": $1}"; }
if start 127.0.0.1:0 "$work/s" --ctx 64; then
  comp 1; P=$(js 'd["usage"]["prompt_tokens"]'); kill $spid; wait $spid 2>/dev/null
  check "boundary: the prompt has tokens ($P)" '[ "${P:-0}" -gt 0 ]'
  if start 127.0.0.1:0 "$work/s" --ctx $((P + 2)); then
    comp 20
    check "--ctx P+2: 3 tokens, finish length" '[ "$(js "d[\"usage\"][\"completion_tokens\"], d[\"choices\"][0][\"finish_reason\"]")" = "3 length" ]'
    kill $spid; wait $spid 2>/dev/null
  else no "the server with --ctx P+2 did not start"; fi
  if start 127.0.0.1:0 "$work/s" --ctx "$P"; then
    comp 20
    check "--ctx P: 1 token, finish length" '[ "$(js "d[\"usage\"][\"completion_tokens\"], d[\"choices\"][0][\"finish_reason\"]")" = "1 length" ]'
    kill $spid; wait $spid 2>/dev/null
  else no "the server with --ctx P did not start"; fi
  if start 127.0.0.1:0 "$work/s" --ctx $((P - 1)); then
    code=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Content-Type: application/json' "$url/v1/completions" -d '{"prompt": "In the beginning God", "max_tokens": 1}')
    check "--ctx P-1: 400 context_length_exceeded" '[ "$code" = 400 ] && [ "$(js "d[\"error\"][\"code\"]")" = context_length_exceeded ]'
    kill $spid; wait $spid 2>/dev/null
  else no "the server with --ctx P-1 did not start"; fi
else no "the server with --ctx 64 did not start"; fi

"$work/s" --serve 127.0.0.1:99999 2>"$work/err"; rc=$?
check "a bad port: one line, exit 2" '[ $rc -eq 2 ] && [ $(wc -l < "$work/err") -eq 1 ]'
echo "server: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
