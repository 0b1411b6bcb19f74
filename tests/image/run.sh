#!/bin/sh
# tests/image/run.sh: --image's front end (runtime/image.c, frontend/imgcfg.c).
#  - tests/image/pixels.c (the decoders and processors without a model) on
#    each vlm fixture's image.png under its preprocessor_config.json, held to
#    the image_pixel_values.f32 transformers gave (and image.json's shape and
#    grid), exactly; the PIL backend (transformers 4's arithmetic) within 1e-6; the same picture as PPM (P6, P3), as 16-bit, palette, RGBA and
#    interlaced PNG gives the same values, and as a JPEG (lossy) nearly so;
#  - Qwen2-VL's smart_resize against transformers' formula (a resizing grid);
#  - malformed and unsupported files: one line naming the file, exit 1;
#  - a model binary: --image on a model without a vision tower, or without
#    an image processor, says so (exit 2), and a bad file (exit 1); the
#    settings venusc compiled into a model give the fixtures' values.
cd "$(dirname "$0")/../.." || exit 2
[ -x ./venusc ] || { echo "image: build ./venusc first (make)"; exit 2; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); echo "ok    $1"; }
bad() { fail=$((fail+1)); echo "FAIL  $1"; }
T=tests/image
# the tool, as a host model binary builds image.c (PNG and JPEG in), and
# again with FMA instructions allowed where the CPU has them: the
# arithmetic must not change
cf="-O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -DVN_IMAGE_PNG -DVN_IMAGE_JPEG -I. -Igraph -Iops -Ifrontend -Iruntime $(pkg-config --cflags jansson)"
src="$T/pixels.c runtime/image.c frontend/imgcfg.c"
libs="$(pkg-config --libs jansson) -lpng -ljpeg -lm"
# shellcheck disable=SC2086
cc $cf -o "$w/pixels" $src $libs || { echo "image: tests/image/pixels.c does not build"; exit 1; }
tools="$w/pixels"
if grep -qw fma /proc/cpuinfo 2>/dev/null; then
  # shellcheck disable=SC2086
  cc $cf -mavx2 -mfma -o "$w/pixels-fma" $src $libs && tools="$tools $w/pixels-fma"
fi
P="$w/pixels"

for d in tests/fixtures/vlm/*/llava tests/fixtures/vlm/*/qwen2_vl; do
  [ -f "$d/image.png" ] || continue
  n=${d#tests/fixtures/vlm/}
  cfg="$d/preprocessor_config.json"
  for t in $tools; do
    if "$t" "$cfg" "$d/image.png" "$w/got.f32" >"$w/shape" 2>"$w/err" && python3 $T/check.py shape "$w/shape" "$d/image.json" >"$w/msg" &&
       python3 $T/check.py cmp "$w/got.f32" "$d/image_pixel_values.f32" 1e-6 >>"$w/msg"; then
      ok "$n$([ "$t" = "$P" ] || echo ' (FMA build)'): image.png -> image_pixel_values.f32: $(tr '\n' ' ' <"$w/msg")"
    else bad "$n ($t): $(cat "$w/err" "$w/msg" 2>/dev/null | tr '\n' ' ')"; fi
  done
  # transformers 4's PIL + numpy backend: the same pixels, float32 rounding apart
  if $P --pil "$cfg" "$d/image.png" "$w/got.f32" >/dev/null 2>"$w/err" && python3 $T/check.py cmp "$w/got.f32" "$d/image_pixel_values.f32" 1e-6 >"$w/msg"; then
    ok "$n: the PIL backend (transformers 4): $(cat "$w/msg")"
  else bad "$n: PIL backend: $(cat "$w/err" "$w/msg" | tr '\n' ' ')"; fi
  # the same picture in other files
  $P "$cfg" "$d/image.png" "$w/ref.f32" >/dev/null
  wh=$($P --decode "$d/image.png" "$w/ref.rgb")
  set -- $wh
  $P --ppm "$d/image.png" "$w/p6.ppm" P6 && $P --ppm "$d/image.png" "$w/p3.ppm" P3
  for k in rgb16 rgba interlaced; do python3 $T/check.py png $k "$w/ref.rgb" "$1" "$2" "$w/$k.png"; done
  for f in p6.ppm p3.ppm rgb16.png rgba.png interlaced.png; do
    if $P "$cfg" "$w/$f" "$w/got.f32" >/dev/null 2>"$w/err" && python3 $T/check.py cmp "$w/got.f32" "$w/ref.f32" 0 >"$w/msg"; then
      ok "$n: $f of image.png: the same values"
    else bad "$n: $f: $(cat "$w/err" "$w/msg" | tr '\n' ' ')"; fi
  done
  # a palette needs few colours: a 64-colour version of the picture as palette PNG and as PPM
  python3 $T/check.py quant "$w/ref.rgb" "$w/q.rgb" && python3 $T/check.py png palette "$w/q.rgb" "$1" "$2" "$w/pal.png" &&
    python3 $T/check.py ppm "$w/q.rgb" "$1" "$2" "$w/pal.ppm"
  # transparency: convert_to_rgb composites over white
  python3 $T/check.py alpha "$w/ref.rgb" "$1" "$2" "$w/alpha.png" "$w/alpha.ppm"
  for f in pal alpha; do
    if $P "$cfg" "$w/$f.png" "$w/got.f32" >/dev/null 2>"$w/err" && $P "$cfg" "$w/$f.ppm" "$w/want.f32" >/dev/null 2>>"$w/err" &&
       python3 $T/check.py cmp "$w/got.f32" "$w/want.f32" 0 >"$w/msg"; then
      ok "$n: $f.png: the same values as its PPM$([ $f = alpha ] && echo ' (PIL'"'"'s alpha_composite over white)')"
    else bad "$n: $f.png: $(cat "$w/err" "$w/msg" | tr '\n' ' ')"; fi
  done
  $P --jpeg "$d/image.png" "$w/q.jpg" 95
  if $P --decode "$w/q.jpg" "$w/q.rgb" >/dev/null && python3 $T/check.py rgbdiff "$w/q.rgb" "$w/ref.rgb" 24 >"$w/msg" &&
     $P "$cfg" "$w/q.jpg" "$w/got.f32" >/dev/null && python3 $T/check.py near "$w/got.f32" "$w/ref.f32" 0.05 >>"$w/msg"; then
    ok "$n: a quality-95 JPEG of image.png: $(tr '\n' ' ' <"$w/msg")"
  else bad "$n: JPEG: $(tr '\n' ' ' <"$w/msg")"; fi
done

# Qwen2-VL's smart_resize: grids of a 48x40 picture under other pixel budgets
img=tests/fixtures/vlm/public/llava/image.png
for mm in "384 384" "56 1000" "3136 1003520" "2000 2000" "64 200"; do
  set -- $mm
  cat >"$w/q.json" <<EOF
{"image_processor_type": "Qwen2VLImageProcessor", "patch_size": 4, "merge_size": 2, "temporal_patch_size": 2,
 "min_pixels": $1, "max_pixels": $2, "resample": 3}
EOF
  want=$(python3 $T/check.py smart 40 48 8 "$1" "$2")
  got=$($P "$w/q.json" "$img" "$w/got.f32" 2>&1 | sed -n 's/^grid 1 //p')
  set -- $want
  if [ "$got" = "$(($1 / 4)) $(($2 / 4))" ]; then ok "smart_resize min/max pixels $mm: $want -> grid 1 $got"
  else bad "smart_resize min/max pixels $mm: want $want, grid '$got'"; fi
done

# malformed and unsupported files: one stderr line naming the file, exit 1
cfg=tests/fixtures/vlm/public/llava/preprocessor_config.json
printf '' >"$w/empty.ppm"
printf 'hello, not an image\n' >"$w/text.png"
head -c 60 "$img" >"$w/trunc.png"
python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[40]^=0xff; open(sys.argv[2],'wb').write(d)" "$img" "$w/crc.png"
$P --decode "$img" "$w/l.rgb" >/dev/null
python3 $T/check.py png gray16 "$w/l.rgb" 48 40 "$w/gray16.png"
head -c 200 "$w/p6.ppm" >"$w/trunc.ppm"
printf 'P6\n4 4\n65535\n' >"$w/deep.ppm"
printf 'P3\n2 1\n255\n1 2 3 4 500 6\n' >"$w/range.ppm"
printf 'P3\n2 1\n255\n1 2 3 4\n' >"$w/short.ppm"
printf 'P1\n1 1\n1\n' >"$w/bitmap.pbm"
printf 'P6\n100000 100000\n255\n' >"$w/huge.ppm"
printf 'P6\n4 x\n255\n' >"$w/header.ppm"
$P --jpeg "$img" "$w/j.jpg" 90 && head -c 300 "$w/j.jpg" >"$w/trunc.jpg"
expect() {  # NAME FILE PATTERN
  "$P" "$cfg" "$w/$2" "$w/out.f32" >/dev/null 2>"$w/err"; rc=$?
  lines=$(grep -c . "$w/err")
  if [ $rc = 1 ] && [ "$lines" = 1 ] && grep -q "$w/$2" "$w/err" && grep -qE "$3" "$w/err"; then ok "$1: $(sed "s|$w/||" "$w/err")"
  else bad "$1: exit $rc, $lines lines: $(cat "$w/err")"; fi
}
expect empty empty.ppm "not an image \(the file is empty\)"
expect text text.png "not an image"
expect truncated_png trunc.png "truncated PNG"
expect png_crc crc.png "not a valid PNG"
expect png_gray16 gray16.png "unsupported bit depth: 16-bit grey"
expect truncated_ppm trunc.ppm "truncated PPM"
expect ppm_16bit deep.ppm "unsupported bit depth: maxval 65535"
expect ppm_range range.ppm "not a valid PPM: sample 4"
expect ppm_short short.ppm "truncated PPM"
expect pbm bitmap.pbm "unsupported netpbm format P1"
expect too_large huge.ppm "too large: 100000x100000"
expect ppm_header header.ppm "not a valid PPM header"
expect truncated_jpeg trunc.jpg "truncated JPEG"
expect missing no-such-file.png "cannot open the image"
echo '{"image_processor_type": "CLIPImageProcessor", "crop_size": "big"}' >"$w/badcfg.json"
if $P "$w/badcfg.json" "$img" "$w/out.f32" 2>"$w/err" >/dev/null; then bad "bad crop_size taken"
else ok "bad settings: $(sed "s|$w/||" "$w/err")"; fi
# settings past what the binary's C can carry: an integer that would wrap
# into a small one, a mean past float32, a zero rescale factor
for c in '"size": {"shortest_edge": 4294967328}' '"crop_size": 4294967328' '"image_mean": [1e300, 0.5, 0.5]' \
         '"image_std": 1e39' '"rescale_factor": 0' '"crop_size": {"height": 1e300, "width": 32}'; do
  echo "{\"image_processor_type\": \"CLIPImageProcessor\", $c}" >"$w/badcfg.json"
  if $P "$w/badcfg.json" "$img" "$w/out.f32" 2>"$w/err" >/dev/null; then bad "settings $c taken"
  elif [ "$(wc -l <"$w/err")" -ne 1 ] || ! grep -q "badcfg.json: the CLIPImageProcessor settings are not valid" "$w/err"; then
    bad "settings $c: $(cat "$w/err")"
  else ok "settings $c: refused"; fi
done
# a shortest edge whose long edge passes int (aspect 1:64): refused, no overflow
printf 'P6\n1 64\n255\n' >"$w/thin.ppm"; head -c 192 /dev/zero >>"$w/thin.ppm"
echo '{"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 2000000000}}' >"$w/bigcfg.json"
if $P "$w/bigcfg.json" "$w/thin.ppm" "$w/out.f32" 2>"$w/err" >/dev/null; then bad "a 2e9 x 1.28e11 resize taken"
elif grep -q "the processor would make a" "$w/err" && [ "$(wc -l <"$w/err")" -eq 1 ]; then ok "shortest_edge 2e9 on a 1x64 image: $(sed "s|$w/||" "$w/err")"
else bad "shortest_edge 2e9: $(cat "$w/err")"; fi

# model binaries: the llama fixture with an image processor (no vision
# tower); a vision-language fixture with its processor, without one, and with
# one venus does not run
V=tests/fixtures/vlm/public/qwen2_vl
mkdir -p "$w/m" "$w/v" "$w/vn" "$w/vs"
cp tests/fixtures/hf/llama/config.json tests/fixtures/hf/llama/model.safetensors "$w/m/"
cp $V/preprocessor_config.json "$w/m/"
for d in v vn vs; do cp $V/config.json $V/model.safetensors "$w/$d/"; done
cp $V/preprocessor_config.json "$w/v/"
echo '{"image_processor_type": "SiglipImageProcessor"}' >"$w/vs/preprocessor_config.json"
./venusc compile "$w/m" -o "$w/mb" >/dev/null 2>"$w/cerr" || { bad "compile with preprocessor_config.json: $(cat "$w/cerr")"; }
for d in v vn vs; do ./venusc compile "$w/$d" -o "$w/${d}b" >/dev/null 2>"$w/cerr" || bad "compile $d: $(cat "$w/cerr")"; done
bin() {  # NAME WANT_RC PATTERN BINARY ARGS...
  name=$1; want=$2; pat=$3; shift 3
  "$@" >"$w/out" 2>"$w/err"; rc=$?
  lines=$(grep -c . "$w/err")
  if [ $rc = "$want" ] && [ "$lines" = 1 ] && grep -qE -e "$pat" "$w/err" && [ ! -s "$w/out" ]; then ok "binary $name: $(sed "s|$w/||g" "$w/err")"
  else bad "binary $name: exit $rc (want $want), $lines lines: $(cat "$w/err" "$w/out")"; fi
}
ids=$(python3 -c "import json; print(','.join(map(str, json.load(open('$V/reference.json'))['input_ids'])))")
bin no_vision_tower 2 "--image: this model \(llama\) has no vision tower" "$w/mb" --ids 1,2,3 -n 2 --image $V/image.png
bin bad_file 1 "text.png: not an image" "$w/vb" --ids "$ids" -n 2 --image "$w/text.png"
bin no_processor 2 "no image processor" "$w/vnb" --ids "$ids" -n 2 --image "$w/p6.ppm"
bin unknown_processor 2 "SiglipImageProcessor is not one venus runs" "$w/vsb" --ids "$ids" -n 1 --image "$w/p6.ppm"
bin image_and_pixels 2 "give the image one way" "$w/vb" --ids "$ids" -n 1 --image $V/image.png --pixels $V/pixel_values.f32
bin image_tokens 2 "image.png: the image gives 6 image tokens, the prompt has 0" "$w/vb" --ids 1,2,3 -n 1 --image $V/image.png
if "$w/mb" --help | grep -q -- "--image FILE.*PPM, PNG, JPEG"; then ok "binary --help lists --image (PPM, PNG, JPEG)"
else bad "binary --help: no --image line"; fi
# the settings as compiled into a model: its --emit-c tree linked with
# tests/image/embedded.c (model.c's main renamed), on each fixture's picture
for d in tests/fixtures/vlm/public/llava tests/fixtures/vlm/public/qwen2_vl; do
  cp "$d/preprocessor_config.json" "$w/m/"
  rm -f "$w/msg"
  rm -rf "$w/tree" && ./venusc compile "$w/m" --emit-c "$w/tree" >/dev/null 2>&1 && cf=$(sed -n 's/^CFLAGS = //p' "$w/tree/Makefile") &&
    lf=$(sed -n 's/^LDLIBS = //p' "$w/tree/Makefile") && srcs=$(sed -n 's/^SRC = //p' "$w/tree/Makefile") &&
    # shellcheck disable=SC2086
    (cd "$w/tree" && cc $(sed -n 's/^CPUFLAGS = //p' Makefile) -c -o cpu.o cpu.c && cc $cf -Dmain=vn_generated_main -I. -c -o model.o model.c &&
     cc $cf -I. -o emb model.o $(echo " $srcs " | sed 's/ model\.c / /') cpu.o "$OLDPWD/$T/embedded.c" $lf) 2>"$w/err" &&
    "$w/tree/emb" "$d/image.png" "$w/got.f32" 2>>"$w/err" && python3 $T/check.py cmp "$w/got.f32" "$d/image_pixel_values.f32" 0 >"$w/msg"
  if [ $? = 0 ]; then ok "${d#tests/fixtures/vlm/}: the processor compiled into a model: $(cat "$w/msg")"
  else bad "${d#tests/fixtures/vlm/}: compiled-in processor: $(head -c 600 "$w/err") $(cat "$w/msg" 2>/dev/null)"; fi
done

echo "image: $pass passed, $fail failed"
[ $fail = 0 ]
