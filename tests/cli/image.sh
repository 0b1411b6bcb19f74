# tests/cli/image.sh: the image input of vision-language models, OUT --pixels
# FILE [--image-grid T,H,W] (sourced by tests/cli/run.sh: $work, t, has, ok,
# no). Parity with transformers is tests/parity/check_vlm.py's; these are the
# flags' checks and their errors.
ids_of() { python3 -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1]))['input_ids'])))" "$1/reference.json"; }
# ifails NAME CODE PATTERN COMMAND...: exits CODE with PATTERN on stderr
ifails() {
  n=$1 c=$2 p=$3; shift 3
  "$@" >"$work/out" 2>"$work/err"; r=$?
  if [ "$r" = "$c" ] && grep -qE -- "$p" "$work/err"; then ok "$n"; else no "$n (exit $r, want $c and /$p/)"; fi
}
V=tests/fixtures/vlm/public/llava; VIDS=$(ids_of $V)
Q=tests/fixtures/vlm/public/qwen2_vl; QIDS=$(ids_of $Q)
t "image: compile llava" ./venusc compile $V -o "$work/llava"
t "image: compile qwen2_vl" ./venusc compile $Q -o "$work/qwen2_vl"
t "image: --help names --pixels" "$work/llava" --help; has "image: --help has --pixels and --image-grid" "--image-grid T,H,W" "$work/out"
t "image: llava --pixels --logits" "$work/llava" --ids "$VIDS" --pixels $V/pixel_values.f32 --logits "$work/v.f32"
same_logits "image: llava logits = transformers" "$work/v.f32" $V/logits.f32 0.004
t "image: qwen2_vl --pixels --image-grid=1,4,6" "$work/qwen2_vl" --ids "$QIDS" --pixels=$Q/pixel_values.f32 --image-grid=1,4,6 --logits "$work/q.f32"
same_logits "image: qwen2_vl logits = transformers" "$work/q.f32" $Q/logits.f32 0.005
# errors: one line naming the file or the flag, exit 2 (1: a file that cannot be read)
ifails "image: image tokens without --pixels" 2 "16 image tokens \(id 255\) but no image" "$work/llava" --ids "$VIDS" --logits "$work/x"
ifails "image: a missing pixels file" 1 "nofile.f32: cannot read the pixel values" "$work/llava" --ids "$VIDS" --pixels "$work/nofile.f32" --logits "$work/x"
head -c 1000 $V/pixel_values.f32 >"$work/short.f32"
ifails "image: a pixels file of the wrong size" 2 "short.f32: 1000 bytes is not float32 \[1, 3, 32, 32\]" "$work/llava" --ids "$VIDS" --pixels "$work/short.f32" --logits "$work/x"
ifails "image: too few image tokens" 2 "pixel_values.f32: the image gives 16 image tokens, the prompt has 1" "$work/llava" --ids 5,255,7 --pixels $V/pixel_values.f32 --logits "$work/x"
ifails "image: qwen2_vl needs --image-grid" 2 "needs the image's patch grid too" "$work/qwen2_vl" --ids "$QIDS" --pixels $Q/pixel_values.f32 --logits "$work/x"
ifails "image: a malformed --image-grid" 2 "--image-grid: '1,4' is not T,H,W" "$work/qwen2_vl" --ids "$QIDS" --pixels $Q/pixel_values.f32 --image-grid 1,4 --logits "$work/x"
ifails "image: a grid that is not the pixels' patches" 2 "pixel_values.f32: .* with the patches of --image-grid" "$work/qwen2_vl" --ids "$QIDS" --pixels $Q/pixel_values.f32 --image-grid 1,4,4 --logits "$work/x"
ifails "image: a grid not in merge windows" 2 "grid 1,3,8: H and W must be multiples of the merge size 2" "$work/qwen2_vl" --ids "$QIDS" --pixels $Q/pixel_values.f32 --image-grid 1,3,8 --logits "$work/x"
ifails "image: --image-grid without --pixels" 2 "--image-grid goes with --pixels" "$work/qwen2_vl" --ids 5,6 --image-grid 1,4,6 --logits "$work/x"
ifails "image: --pixels to a model without images" 2 "--pixels: this model \(llama\) has no vision tower: it takes no image" "$work/a" --ids 5,6 --pixels $V/pixel_values.f32 --logits "$work/x"
# a prompt split into steps of 4 tokens: the image rows and the M-RoPE walk go on across steps
t "image: compile qwen2_vl --batch 4" ./venusc compile $Q -o "$work/qwen2_vl_b4" --batch 4
t "image: qwen2_vl in steps of 4" "$work/qwen2_vl_b4" --ids "$QIDS" --pixels $Q/pixel_values.f32 --image-grid 1,4,6 --logits "$work/q4.f32"
same_logits "image: qwen2_vl in steps of 4 = transformers" "$work/q4.f32" $Q/logits.f32 0.005
t "image: -d plan dumps the vision graph too" ./venusc compile $V -d plan; has "image: -d plan shows the vision graph" "^# the vision graph" "$work/out"
