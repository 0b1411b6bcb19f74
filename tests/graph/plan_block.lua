-- model: tests/fixtures/hf/llama
-- dump: plan
-- The block of fuse_block.lua after planning: weights at 64-byte aligned
-- offsets of the weight file, activations placed in one arena by liveness
-- (a buffer is reused once its last reader has run), KV cache as state.
return arch {
  name = "graph-test",
  build = function(cfg)
    local p = "model.layers.0."
    local x = embed(weight("model.embed_tokens.weight"), tokens())
    local h = rmsnorm(x, weight(p .. "input_layernorm.weight"), { eps = 1e-6 })
    local q = linear(h, weight(p .. "self_attn.q_proj.weight"))
    local k = linear(h, weight(p .. "self_attn.k_proj.weight"))
    local v = linear(h, weight(p .. "self_attn.v_proj.weight"))
    local r = rope_from_config(cfg, 16)
    local a = attention(rope(q, r), rope(k, r), v, { heads = 4, kv_heads = 2, head_dim = 16 })
    x = add(x, linear(a, weight(p .. "self_attn.o_proj.weight")))
    h = rmsnorm(x, weight(p .. "post_attention_layernorm.weight"), { eps = 1e-6 })
    local f = mul(act(linear(h, weight(p .. "mlp.gate_proj.weight")), "silu"), linear(h, weight(p .. "mlp.up_proj.weight")))
    x = add(linear(f, weight(p .. "mlp.down_proj.weight")), x)
    output(linear(rmsnorm(last(x), weight("model.norm.weight")), weight("lm_head.weight")))
  end,
}
-- expect:
-- # graph: 26 nodes, 1 rope tables, output %25
-- %0 = input  [T] i32  tests/graph/plan_block.lua:10
-- %1 = weight model.embed_tokens.weight  [256,64] f32  tests/graph/plan_block.lua:10  @weights+4096
-- %2 = embed %1, %0  [T,64] f32 scale=1  tests/graph/plan_block.lua:10  @arena+0
-- %3 = weight model.layers.0.input_layernorm.weight  [64] f32  tests/graph/plan_block.lua:11  @weights+69632
-- %4 = rmsnorm %2, %3  [T,64] f32 eps=1e-06  tests/graph/plan_block.lua:11  @arena+131072
-- %5 = weight cat(model.layers.0.self_attn.q_proj.weight, model.layers.0.self_attn.k_proj.weight, model.layers.0.self_attn.v_proj.weight)  [128,64] f32  tests/graph/plan_block.lua:12  @weights+69888
-- %6 = matmul %4, %5, _, _  [T,128] f32  tests/graph/plan_block.lua:12  @arena+262144
-- %7 = view %6  [T,64] f32 col0=0  tests/graph/plan_block.lua:12
-- %8 = view %6  [T,32] f32 col0=64  tests/graph/plan_block.lua:13
-- %9 = view %6  [T,32] f32 col0=96  tests/graph/plan_block.lua:14
-- %10 = state k_cache  [CTX,32] f32  tests/graph/plan_block.lua:16  @state+0*ctx
-- %11 = state v_cache  [CTX,32] f32  tests/graph/plan_block.lua:16  @state+128*ctx
-- %12 = attention %7, %8, %9, %10, %11, _, _  [T,64] f32 heads=4/2 hd=16 causal rope=0(rot=16) scale=0.25  tests/graph/plan_block.lua:16  @arena+131072
-- %13 = weight model.layers.0.self_attn.o_proj.weight  [64,64] f32  tests/graph/plan_block.lua:17  @weights+102656
-- %14 = matmul %12, %13, _, %2  [T,64] f32  tests/graph/plan_block.lua:17  @arena+262144
-- %15 = weight model.layers.0.post_attention_layernorm.weight  [64] f32  tests/graph/plan_block.lua:18  @weights+119040
-- %16 = rmsnorm %14, %15  [T,64] f32 eps=1e-06  tests/graph/plan_block.lua:18  @arena+0
-- %17 = weight pairs(model.layers.0.mlp.gate_proj.weight, model.layers.0.mlp.up_proj.weight)  [256,64] f32  tests/graph/plan_block.lua:19  @weights+119296
-- %18 = matmul %16, %17, _, _  [T,128] f32 act=silu glu  tests/graph/plan_block.lua:19  @arena+393216
-- %19 = weight model.layers.0.mlp.down_proj.weight  [64,128] f32  tests/graph/plan_block.lua:20  @weights+184832
-- %20 = matmul %18, %19, _, %14  [T,64] f32  tests/graph/plan_block.lua:20  @arena+0
-- %21 = last %20  [Tout,64] f32  tests/graph/plan_block.lua:21  @arena+131072
-- %22 = weight model.norm.weight  [64] f32  tests/graph/plan_block.lua:21  @weights+217600
-- %23 = rmsnorm %21, %22  [Tout,64] f32 eps=1e-05  tests/graph/plan_block.lua:21  @arena+0
-- %24 = weight lm_head.weight  [256,64] f32  tests/graph/plan_block.lua:21  @weights+217856
-- %25 = matmul %23, %24, _, _  [Tout,256] f32  tests/graph/plan_block.lua:21  @arena+131072
-- # plan: arena 655360 bytes for 512 tokens, state 256 bytes per position + 0, weights 283392 bytes
