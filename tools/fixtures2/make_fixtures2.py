#!/usr/bin/env python3
"""Second wave of reference fixtures from Hugging Face transformers: decoder families newer than the
first set, encoders, encoder-decoders (text and speech) and vision-language models. Same conventions as
make_fixtures.py (tiny seeded models, float32, eager attention, CPU), plus per kind:
  encoder:  logits.f32 = masked-LM logits [prompt][vocab]; hidden.f32 as before (last entry = embeddings)
  seq2seq:  input_ids = encoder ids, decoder_input_ids, logits.f32 = decoder logits [dec_len][vocab],
            greedy continuation of the decoder; speech cases add input_features.f32 [mel][frames]
  vlm:      pixel_values.f32 (+ image_grid_thw etc. in reference.json), input_ids hold the image tokens
usage: make_fixtures2.py OUTDIR SET [CASES]   (SET: public | public2; CASES: comma-separated names)"""
import json, math, os, sys, traceback
import numpy as np, torch, transformers
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSeq2SeqLM
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
torch.set_grad_enabled(False); torch.set_num_threads(8)
OUT, SET = sys.argv[1], sys.argv[2]
only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
D = {"public": dict(h=64, L=2, nh=4, kv=2, hd=16, ffn=128, vocab=256, prompt=40, gen=16, seed=1234, E=4, topk=2),
     "public2": dict(h=80, L=2, nh=5, kv=1, hd=16, ffn=144, vocab=320, prompt=57, gen=16, seed=4242, E=5, topk=2)}[SET]
h, L, nh, kv, hd, ffn, V, E, K = D["h"], D["L"], D["nh"], D["kv"], D["hd"], D["ffn"], D["vocab"], D["E"], D["topk"]
base = dict(hidden_size=h, num_hidden_layers=L, num_attention_heads=nh, num_key_value_heads=kv, intermediate_size=ffn,
            vocab_size=V, max_position_embeddings=512, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2,
            pad_token_id=0)
def alt(a, b): return ([a, b] * L)[:L]
moe = dict(moe_intermediate_size=ffn // 2, num_experts_per_tok=K)
DEC = {
  "deepseek_v2": ("deepseek_v2", dict(base, num_key_value_heads=nh, n_routed_experts=E, n_shared_experts=1, first_k_dense_replace=1,
                   topk_method="greedy", n_group=1, topk_group=1, routed_scaling_factor=1.0, q_lora_rank=None, kv_lora_rank=32,
                   qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16, norm_topk_prob=False, **moe)),
  "gpt_oss": ("gpt_oss", dict(base, head_dim=hd, num_local_experts=E, num_experts_per_tok=K, sliding_window=16,
               layer_types=alt("sliding_attention", "full_attention"))),
  "qwen3_next": ("qwen3_next", dict(base, head_dim=hd, num_experts=E, shared_expert_intermediate_size=ffn, decoder_sparse_step=1,
                  layer_types=alt("linear_attention", "full_attention"), linear_num_value_heads=4, linear_num_key_heads=2,
                  linear_key_head_dim=16, linear_value_head_dim=16, linear_conv_kernel_dim=4, partial_rotary_factor=0.25,
                  norm_topk_prob=True, mlp_only_layers=[], **moe)),
  "smollm3": ("smollm3", dict(base, no_rope_layers=alt(1, 0), use_sliding_window=False)),
  "lfm2": ("lfm2", dict(base, layer_types=alt("conv", "full_attention"), conv_L_cache=3, block_auto_adjust_ff_dim=False,
             block_ff_dim=ffn)),
  "glm4": ("glm4", dict(base, head_dim=hd, partial_rotary_factor=0.5, attention_bias=True)),
  "glm4_moe": ("glm4_moe", dict(base, head_dim=hd, partial_rotary_factor=0.5, n_routed_experts=E, n_shared_experts=1,
                first_k_dense_replace=1, n_group=1, topk_group=1, routed_scaling_factor=1.0, norm_topk_prob=True,
                use_qk_norm=True, **moe)),
  "olmoe": ("olmoe", dict(base, num_experts=E, norm_topk_prob=False, **moe)),
  "phimoe": ("phimoe", dict(base, num_local_experts=E, num_experts_per_tok=K, sliding_window=None)),
  "granitemoe": ("granitemoe", dict(base, num_local_experts=E, num_experts_per_tok=K, embedding_multiplier=2.0,
                  residual_multiplier=0.5, attention_multiplier=0.1, logits_scaling=4.0)),
  "cohere2": ("cohere2", dict(base, head_dim=hd, sliding_window=16, layer_types=alt("sliding_attention", "full_attention"),
               logit_scale=0.25, tie_word_embeddings=True)),
  "bamba": ("bamba", dict(base, attn_layer_indices=[1], mamba_n_heads=2 * h // 16, mamba_d_head=16, mamba_d_state=16,
             mamba_n_groups=1, mamba_expand=2, mamba_d_conv=4, mamba_chunk_size=16)),
  "falcon_h1": ("falcon_h1", dict(base, head_dim=hd, mamba_n_heads=2 * h // 16, mamba_d_head=16, mamba_d_state=16, mamba_d_ssm=2 * h,
                 mamba_n_groups=1, mamba_expand=2, mamba_d_conv=4, mamba_chunk_size=16)),
  "nemotron": ("nemotron", dict(base, hidden_act="relu2", partial_rotary_factor=0.5, head_dim=hd)),
  "mpt": ("mpt", dict(d_model=h, n_heads=nh, n_layers=L, expansion_ratio=2, max_seq_len=512, vocab_size=V,
           attn_config={"alibi": True}, no_bias=True)),
  "olmo": ("olmo", dict(base)),
  "olmo3": ("olmo3", dict(base, sliding_window=16, layer_types=alt("sliding_attention", "full_attention"))),
  "ernie4_5": ("ernie4_5", dict(base, head_dim=hd, use_bias=False)),
  "ernie4_5_moe": ("ernie4_5_moe", dict(base, head_dim=hd, moe_num_experts=E, moe_k=K, moe_intermediate_size=ffn // 2,
                    moe_num_shared_experts=1, moe_layer_start_index=1, moe_layer_interval=1)),
  "hunyuan_v1_dense": ("hunyuan_v1_dense", dict(base, head_dim=hd, use_qk_norm=True)),
  "seed_oss": ("seed_oss", dict(base, head_dim=hd, attention_bias=True)),
  "apertus": ("apertus", dict(base, hidden_act="xielu", qk_norm=True)),
  "arcee": ("arcee", dict(base, hidden_act="relu2")),
  "helium": ("helium", dict(base, head_dim=hd)),
  "dots1": ("dots1", dict(base, head_dim=hd, n_routed_experts=E, n_shared_experts=1, first_k_dense_replace=1, n_group=1,
             topk_group=1, routed_scaling_factor=1.0, norm_topk_prob=True, **moe)),
  "gpt_neo": ("gpt_neo", dict(hidden_size=h, num_layers=L, num_heads=nh, intermediate_size=ffn, vocab_size=V,
               max_position_embeddings=512, attention_types=[[["global", "local"], max(1, L // 2)]] if L % 2 == 0
               else [[["global", "local"], L // 2], [["global"], 1]], window_size=16, resid_dropout=0.0,
               embed_dropout=0.0, attention_dropout=0.0)),
  "ministral": ("ministral", dict(base, head_dim=hd, sliding_window=16, layer_types=alt("sliding_attention", "full_attention"))),
  "qwen3_5_text": ("qwen3_5_text", dict(base, head_dim=hd, layer_types=alt("linear_attention", "full_attention"),
                    linear_num_value_heads=4, linear_num_key_heads=2, linear_key_head_dim=16, linear_value_head_dim=16,
                    linear_conv_kernel_dim=4, partial_rotary_factor=0.25)),
}
ENC = {
  "roberta": ("roberta", dict(hidden_size=h, num_hidden_layers=L, num_attention_heads=nh, intermediate_size=ffn, vocab_size=V,
               max_position_embeddings=514, pad_token_id=1, type_vocab_size=1, hidden_dropout_prob=0.0,
               attention_probs_dropout_prob=0.0)),
  "xlm_roberta": ("xlm-roberta", dict(hidden_size=h, num_hidden_layers=L, num_attention_heads=nh, intermediate_size=ffn,
                   vocab_size=V, max_position_embeddings=514, pad_token_id=1, type_vocab_size=1, hidden_dropout_prob=0.0,
                   attention_probs_dropout_prob=0.0)),
  "distilbert": ("distilbert", dict(dim=h, n_layers=L, n_heads=nh, hidden_dim=ffn, vocab_size=V, max_position_embeddings=512,
                  dropout=0.0, attention_dropout=0.0)),
  "modernbert": ("modernbert", dict(hidden_size=h, num_hidden_layers=L, num_attention_heads=nh, intermediate_size=ffn,
                  vocab_size=V, global_attn_every_n_layers=2, local_attention=16, max_position_embeddings=512,
                  pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2)),
}
S2S = {
  "t5": ("t5", dict(d_model=h, d_kv=hd, d_ff=ffn, num_layers=L, num_decoder_layers=L, num_heads=nh, vocab_size=V,
          relative_attention_num_buckets=8, relative_attention_max_distance=32, feed_forward_proj="gated-gelu",
          tie_word_embeddings=False, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1, dropout_rate=0.0)),
  "bart": ("bart", dict(d_model=h, encoder_layers=L, decoder_layers=L, encoder_attention_heads=nh, decoder_attention_heads=nh,
            encoder_ffn_dim=ffn, decoder_ffn_dim=ffn, vocab_size=V, max_position_embeddings=512, dropout=0.0,
            attention_dropout=0.0, activation_dropout=0.0, decoder_start_token_id=2, forced_eos_token_id=None)),
  "whisper": ("whisper", dict(d_model=h, encoder_layers=L, decoder_layers=L, encoder_attention_heads=nh,
               decoder_attention_heads=nh, encoder_ffn_dim=ffn, decoder_ffn_dim=ffn, vocab_size=V, num_mel_bins=16,
               max_source_positions=32, max_target_positions=128, decoder_start_token_id=1, pad_token_id=0,
               eos_token_id=2, bos_token_id=1, dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
               suppress_tokens=None, begin_suppress_tokens=None, forced_decoder_ids=None)),
}
SSM_KEEP = ("A_log", ".D", "dt_bias", "time_decay", "time_first", "time_mix")
def randomize(model, gen):
    for name, p in model.named_parameters():
        if any(k in name for k in SSM_KEEP): continue
        if p.dim() >= 2:
            emb = any(k in name for k in ("embed", "wte", "wpe", "word_embeddings", "shared.weight", "emb"))
            std = 1.0 if emb else 1.0 / math.sqrt(max(p.shape[1] if p.dim() == 2 else p[0].numel(), 1))
            p.copy_(torch.randn(p.shape, generator=gen) * std)
        else:
            is_norm = any(k in name for k in ("norm", "ln", "layernorm", "LayerNorm", "layer_norm"))
            if is_norm and name.endswith("weight"):
                centre = 0.0 if p.abs().max().item() == 0 else 1.0
                p.copy_(centre + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
def load(cls, cfg):
    make = getattr(cls, "from_config", None) or getattr(cls, "_from_config")
    try: return make(cfg, attn_implementation="eager")
    except Exception: return make(cfg)
def save(model, d):
    os.makedirs(d, exist_ok=True); model.save_pretrained(d, safe_serialization=True)
    p = os.path.join(d, "generation_config.json")
    if os.path.exists(p): os.remove(p)
def f32(a, path): np.asarray(a, dtype="<f4").tofile(path)
def greedy(step, n):
    toks, margins = [], []
    for _ in range(n):
        last = step(toks)
        top2 = torch.topk(last, 2).values; nxt = int(torch.argmax(last))
        toks.append(nxt); margins.append(float(top2[0] - top2[1]))
    return toks, margins
def common_ref(name, mtype, cfg, logits, kind):
    return dict(case=name, model_type=mtype, architectures=cfg.architectures, kind=kind, encoder_only=kind == "encoder",
                transformers_version=transformers.__version__, torch_version=torch.__version__,
                logits_shape=list(logits.shape), logits_abs_max=float(np.abs(logits).max()), logits_std=float(logits.std()))
def run_dec(name, mtype, kw, d, gen):
    cfg = AutoConfig.for_model(mtype, **kw); model = load(AutoModelForCausalLM, cfg).float().eval(); randomize(model, gen)
    if getattr(cfg, "tie_word_embeddings", False) and hasattr(model, "tie_weights"): model.tie_weights()
    save(model, d)
    ids = torch.randint(3, V, (1, D["prompt"]), generator=gen)
    out = model(input_ids=ids, output_hidden_states=True); logits = out.logits[0].float().numpy()
    f32(logits, os.path.join(d, "logits.f32"))
    hs = out.hidden_states
    if hs is not None: f32(np.stack([x[0].float().numpy() for x in hs]), os.path.join(d, "hidden.f32"))
    ref = common_ref(name, mtype, cfg, logits, "decoder"); ref["input_ids"] = ids[0].tolist()
    if hs is not None: ref["hidden_shape"] = [len(hs), hs[0].shape[1], hs[0].shape[2]]
    t, m = greedy(lambda toks: model(input_ids=torch.cat([ids, torch.tensor([toks], dtype=ids.dtype)], 1)).logits[0, -1], D["gen"])
    ref.update(greedy_tokens=t, greedy_margins=m); return ref
def run_enc(name, mtype, kw, d, gen):
    cfg = AutoConfig.for_model(mtype, **kw); model = load(AutoModelForMaskedLM, cfg).float().eval(); randomize(model, gen)
    save(model, d)
    ids = torch.randint(3, V, (1, D["prompt"]), generator=gen)
    out = model(input_ids=ids, output_hidden_states=True); logits = out.logits[0].float().numpy()
    f32(logits, os.path.join(d, "logits.f32"))
    hs = out.hidden_states; f32(np.stack([x[0].float().numpy() for x in hs]), os.path.join(d, "hidden.f32"))
    ref = common_ref(name, mtype, cfg, logits, "encoder"); ref["input_ids"] = ids[0].tolist()
    ref["hidden_shape"] = [len(hs), hs[0].shape[1], hs[0].shape[2]]
    last = hs[-1][0].float().numpy(); ref["mean_pooled"] = last.mean(0).tolist()
    return ref
def run_s2s(name, mtype, kw, d, gen):
    cfg = AutoConfig.for_model(mtype, **kw)
    if mtype == "whisper":
        from transformers import WhisperForConditionalGeneration as cls
    else:
        cls = AutoModelForSeq2SeqLM
    model = load(cls, cfg).float().eval(); randomize(model, gen); save(model, d)
    ref = {}
    if mtype == "whisper":
        feats = torch.randn((1, cfg.num_mel_bins, 2 * cfg.max_source_positions), generator=gen)
        f32(feats[0].numpy(), os.path.join(d, "input_features.f32")); enc_in = dict(input_features=feats)
        ref["input_features_shape"] = list(feats.shape[1:])
    else:
        ids = torch.randint(3, V, (1, D["prompt"]), generator=gen); enc_in = dict(input_ids=ids); ref["input_ids"] = ids[0].tolist()
    dec = torch.cat([torch.tensor([[cfg.decoder_start_token_id]]), torch.randint(3, V, (1, 9), generator=gen)], 1)
    out = model(**enc_in, decoder_input_ids=dec, output_hidden_states=True); logits = out.logits[0].float().numpy()
    f32(logits, os.path.join(d, "logits.f32"))
    f32(out.encoder_last_hidden_state[0].float().numpy(), os.path.join(d, "encoder_hidden.f32"))
    r = common_ref(name, mtype, cfg, logits, "seq2seq"); r.update(ref); r["decoder_input_ids"] = dec[0].tolist()
    r["encoder_hidden_shape"] = list(out.encoder_last_hidden_state[0].shape)
    t, m = greedy(lambda toks: model(**enc_in, decoder_input_ids=torch.cat([dec, torch.tensor([toks], dtype=dec.dtype)], 1)).logits[0, -1], D["gen"])
    r.update(greedy_tokens=t, greedy_margins=m); return r
def run_vlm(name, d, gen):
    from transformers import AutoModelForImageTextToText
    text = dict(base)
    if name == "llava":
        from transformers import LlavaConfig, CLIPVisionConfig, LlamaConfig
        img_tok = V - 1
        cfg = LlavaConfig(vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=2, image_size=32, patch_size=8, projection_dim=32),
                          text_config=LlamaConfig(**text), image_token_index=img_tok, vision_feature_layer=-2,
                          vision_feature_select_strategy="default", projector_hidden_act="gelu")
        model = load(AutoModelForImageTextToText, cfg).float().eval(); randomize(model, gen); save(model, d)
        pix = torch.randn((1, 3, 32, 32), generator=gen); n_img = 16
        pre = torch.randint(3, V - 1, (1, 5), generator=gen); post = torch.randint(3, V - 1, (1, D["prompt"] - 21), generator=gen)
        ids = torch.cat([pre, torch.full((1, n_img), img_tok), post], 1); extra = dict(pixel_values=pix)
        meta = dict(image_token_id=img_tok, pixel_values_shape=list(pix.shape))
    elif name == "qwen2_vl":
        from transformers import Qwen2VLConfig
        vs, im, ve = V - 3, V - 2, V - 1
        cfg = Qwen2VLConfig(text_config=dict(base, model_type="qwen2_vl_text", head_dim=hd,
                            rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]} if hd == 16 else {"type": "mrope", "mrope_section": [1, 1, 2]}),
                            vision_config=dict(depth=2, embed_dim=32, hidden_size=h, num_heads=2, mlp_ratio=2, patch_size=4,
                                               spatial_merge_size=2, temporal_patch_size=2, in_channels=3),
                            image_token_id=im, vision_start_token_id=vs, vision_end_token_id=ve, video_token_id=V - 4)
        model = load(AutoModelForImageTextToText, cfg).float().eval(); randomize(model, gen); save(model, d)
        gh, gw = 4, 6; pix = torch.randn((gh * gw, 3 * 2 * 4 * 4), generator=gen); thw = torch.tensor([[1, gh, gw]])
        n_img = gh * gw // 4
        pre = torch.randint(3, V - 4, (1, 5), generator=gen); post = torch.randint(3, V - 4, (1, D["prompt"] - 7 - n_img), generator=gen)
        ids = torch.cat([pre, torch.tensor([[vs]]), torch.full((1, n_img), im), torch.tensor([[ve]]), post], 1)
        extra = dict(pixel_values=pix, image_grid_thw=thw)
        mm = (ids == im).long()
        meta = dict(image_token_id=im, vision_start_token_id=vs, vision_end_token_id=ve, image_grid_thw=thw[0].tolist(),
                    pixel_values_shape=list(pix.shape))
    else:
        raise ValueError(name)
    f32(extra["pixel_values"].numpy(), os.path.join(d, "pixel_values.f32"))
    def mmx(n):
        if name != "qwen2_vl": return {}
        return dict(mm_token_type_ids=torch.cat([mm, torch.zeros((1, n), dtype=mm.dtype)], 1))
    out = model(input_ids=ids, **extra, **mmx(0)); logits = out.logits[0].float().numpy(); f32(logits, os.path.join(d, "logits.f32"))
    ref = common_ref(name, cfg.model_type, cfg, logits, "vlm"); ref.update(meta); ref["input_ids"] = ids[0].tolist()
    t, m = greedy(lambda toks: model(input_ids=torch.cat([ids, torch.tensor([toks], dtype=ids.dtype)], 1), **extra, **mmx(len(toks))).logits[0, -1], D["gen"])
    ref.update(greedy_tokens=t, greedy_margins=m); return ref
def main():
    os.makedirs(OUT, exist_ok=True); report = {}
    jobs = [(n, "dec", v) for n, v in DEC.items()] + [(n, "enc", v) for n, v in ENC.items()] + \
           [(n, "s2s", v) for n, v in S2S.items()] + [(n, "vlm", None) for n in ("llava", "qwen2_vl")]
    for name, kind, v in jobs:
        if only and name not in only: continue
        gen = torch.Generator().manual_seed(D["seed"] + sum(map(ord, name))); d = os.path.join(OUT, name)
        try:
            ref = {"dec": lambda: run_dec(name, v[0], v[1], d, gen), "enc": lambda: run_enc(name, v[0], v[1], d, gen),
                   "s2s": lambda: run_s2s(name, v[0], v[1], d, gen), "vlm": lambda: run_vlm(name, d, gen)}[kind]()
            json.dump(ref, open(os.path.join(d, "reference.json"), "w"), indent=1)
            report[name] = "ok std=%.2f min_margin=%s" % (ref["logits_std"], min(ref.get("greedy_margins", [0])))
        except Exception as e:
            report[name] = "FAILED: %s: %s" % (type(e).__name__, str(e)[:400])
            import shutil; shutil.rmtree(d, ignore_errors=True)
        print(name, report[name], flush=True)
    json.dump(dict(set=SET, dims=D, transformers=transformers.__version__, torch=torch.__version__, cases=report),
              open(os.path.join(OUT, "MANIFEST.json"), "w"), indent=1)
if __name__ == "__main__":
    main()
