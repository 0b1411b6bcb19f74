"""headless.py SRC DST: copy a Hugging Face encoder checkpoint without its
masked-LM head (every tensor whose name starts with "cls."), so that the
encoder template outputs its final hidden states. Files other than
model.safetensors are copied as they are."""
import json, os, shutil, struct, sys

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for f in os.listdir(src):
    if f != "model.safetensors" and os.path.isfile(os.path.join(src, f)):
        shutil.copy(os.path.join(src, f), dst)
with open(os.path.join(src, "model.safetensors"), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    head = json.loads(f.read(n))
    data = f.read()
out, blobs, off = {}, [], 0
for name, t in head.items():
    if name == "__metadata__":
        out[name] = t
        continue
    if name.startswith("cls."):
        continue
    a, b = t["data_offsets"]
    blobs.append(data[a:b])
    out[name] = dict(t, data_offsets=[off, off + b - a])
    off += b - a
h = json.dumps(out).encode()
h += b" " * (-len(h) % 8)
with open(os.path.join(dst, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
