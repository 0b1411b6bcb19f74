-- model: tests/fixtures/hf/llama
-- dump: fuse
-- One pre-norm block written with plain builder calls: the fuse pass must
-- stack q/k/v into one matmul (views for its users), turn silu(gate) * up
-- into one glu matmul over interleaved rows, move rope into attention and
-- fold both residual adds into the matmuls that produce them.
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
-- %0 = input  [T] i32  tests/graph/fuse_block.lua:11
-- %1 = weight model.embed_tokens.weight  [256,64] f32  tests/graph/fuse_block.lua:11
-- %2 = embed %1, %0  [T,64] f32 scale=1  tests/graph/fuse_block.lua:11
-- %3 = weight model.layers.0.input_layernorm.weight  [64] f32  tests/graph/fuse_block.lua:12
-- %4 = rmsnorm %2, %3  [T,64] f32 eps=1e-06  tests/graph/fuse_block.lua:12
-- %5 = weight cat(model.layers.0.self_attn.q_proj.weight, model.layers.0.self_attn.k_proj.weight, model.layers.0.self_attn.v_proj.weight)  [128,64] f32  tests/graph/fuse_block.lua:13
-- %6 = matmul %4, %5, _, _  [T,128] f32  tests/graph/fuse_block.lua:13
-- %7 = view %6  [T,64] f32 col0=0  tests/graph/fuse_block.lua:13
-- %8 = view %6  [T,32] f32 col0=64  tests/graph/fuse_block.lua:14
-- %9 = view %6  [T,32] f32 col0=96  tests/graph/fuse_block.lua:15
-- %10 = state k_cache  [CTX,32] f32  tests/graph/fuse_block.lua:17
-- %11 = state v_cache  [CTX,32] f32  tests/graph/fuse_block.lua:17
-- %12 = attention %7, %8, %9, %10, %11, _, _  [T,64] f32 heads=4/2 hd=16 causal rope=0(rot=16) scale=0.25  tests/graph/fuse_block.lua:17
-- %13 = weight model.layers.0.self_attn.o_proj.weight  [64,64] f32  tests/graph/fuse_block.lua:18
-- %14 = matmul %12, %13, _, %2  [T,64] f32  tests/graph/fuse_block.lua:18
-- %15 = weight model.layers.0.post_attention_layernorm.weight  [64] f32  tests/graph/fuse_block.lua:19
-- %16 = rmsnorm %14, %15  [T,64] f32 eps=1e-06  tests/graph/fuse_block.lua:19
-- %17 = weight pairs(model.layers.0.mlp.gate_proj.weight, model.layers.0.mlp.up_proj.weight)  [256,64] f32  tests/graph/fuse_block.lua:20
-- %18 = matmul %16, %17, _, _  [T,128] f32 act=silu glu  tests/graph/fuse_block.lua:20
-- %19 = weight model.layers.0.mlp.down_proj.weight  [64,128] f32  tests/graph/fuse_block.lua:21
-- %20 = matmul %18, %19, _, %14  [T,64] f32  tests/graph/fuse_block.lua:21
-- %21 = last %20  [Tout,64] f32  tests/graph/fuse_block.lua:22
-- %22 = weight model.norm.weight  [64] f32  tests/graph/fuse_block.lua:22
-- %23 = rmsnorm %21, %22  [Tout,64] f32 eps=1e-05  tests/graph/fuse_block.lua:22
-- %24 = weight lm_head.weight  [256,64] f32  tests/graph/fuse_block.lua:22
-- %25 = matmul %23, %24, _, _  [Tout,256] f32  tests/graph/fuse_block.lua:22
