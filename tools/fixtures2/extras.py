#!/usr/bin/env python3
"""Extra inputs for front ends: a 1 s 440 Hz tone (WAV + WhisperFeatureExtractor features at 80 mel bins) and a
generated PNG with each VLM fixture's image-processor pixel_values and the logits the model gives for them.
usage: extras.py FIXDIR (a make_fixtures2.py output directory)"""
import json, os, sys, traceback, wave
import numpy as np, torch
torch.set_grad_enabled(False)
D = sys.argv[1]; rep = {}
def f32(a, p): np.asarray(a, dtype="<f4").tofile(p)
try:
    from transformers import WhisperFeatureExtractor
    sr = 16000; t = np.arange(sr) / sr; x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    pcm = (x * 32767).astype("<i2")
    os.makedirs(os.path.join(D, "audio"), exist_ok=True)
    with wave.open(os.path.join(D, "audio", "tone440.wav"), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr); w.writeframes(pcm.tobytes())
    fe = WhisperFeatureExtractor(feature_size=80)
    xf = pcm.astype(np.float32) / 32768.0
    feats = fe(xf, sampling_rate=sr, return_tensors="np").input_features[0]
    f32(feats, os.path.join(D, "audio", "tone440_features.f32"))
    json.dump(dict(shape=list(feats.shape), feature_size=80, sampling_rate=sr, note="pcm int16 /32768 then WhisperFeatureExtractor(feature_size=80)"),
              open(os.path.join(D, "audio", "tone440.json"), "w"), indent=1)
    rep["whisper_tone"] = "ok %s" % (list(feats.shape),)
except Exception as e:
    rep["whisper_tone"] = "FAILED %s" % e; traceback.print_exc()
def png(w, h, p):
    from PIL import Image
    a = np.zeros((h, w, 3), np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    a[..., 0] = (xx * 255 // max(w - 1, 1)); a[..., 1] = (yy * 255 // max(h - 1, 1)); a[..., 2] = ((xx + yy) % 7) * 36
    Image.fromarray(a).save(p); return Image.open(p).convert("RGB")
for name in ("llava", "qwen2_vl"):
    d = os.path.join(D, name)
    if not os.path.isdir(d): continue
    try:
        from transformers import AutoModelForImageTextToText
        ref = json.load(open(os.path.join(d, "reference.json")))
        model = AutoModelForImageTextToText.from_pretrained(d, attn_implementation="eager").float().eval()
        ids = torch.tensor([ref["input_ids"]])
        if name == "llava":
            from transformers import CLIPImageProcessor
            img = png(48, 40, os.path.join(d, "image.png"))
            proc = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
            proc.save_pretrained(d)
            pv = proc(images=img, return_tensors="pt").pixel_values
            extra = dict(pixel_values=pv); meta = {}
        else:
            from transformers import Qwen2VLImageProcessor
            img = png(24, 16, os.path.join(d, "image.png"))
            proc = Qwen2VLImageProcessor(patch_size=4, merge_size=2, temporal_patch_size=2, min_pixels=16 * 24, max_pixels=16 * 24)
            proc.save_pretrained(d)
            o = proc(images=img, return_tensors="pt"); pv = o.pixel_values; thw = o.image_grid_thw
            meta = dict(image_grid_thw=thw[0].tolist())
            if thw[0].tolist() != ref["image_grid_thw"]:
                raise ValueError("grid %s != fixture grid %s" % (thw[0].tolist(), ref["image_grid_thw"]))
            extra = dict(pixel_values=pv, image_grid_thw=thw, mm_token_type_ids=(ids == ref["image_token_id"]).long())
        f32(pv.numpy(), os.path.join(d, "image_pixel_values.f32"))
        lg = model(input_ids=ids, **extra).logits[0].float().numpy(); f32(lg, os.path.join(d, "image_logits.f32"))
        meta.update(pixel_values_shape=list(pv.shape), logits_shape=list(lg.shape), image="image.png")
        json.dump(meta, open(os.path.join(d, "image.json"), "w"), indent=1)
        rep[name] = "ok %s" % (list(pv.shape),)
    except Exception as e:
        rep[name] = "FAILED %s" % e; traceback.print_exc()
json.dump(rep, open(os.path.join(D, "EXTRAS.json"), "w"), indent=1); print(rep)
