# bash completion for venusc (installed by make install)
_venusc() {
  local cur prev cmd
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cmd=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "compile inspect specs targets tokenize detokenize --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
    --target) COMPREPLY=($(compgen -W "native $(venusc targets --tsv 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$cur")); return ;;
    --dtype) COMPREPLY=($(compgen -W "f32 f16 bf16 q8_0 q4_0" -- "$cur")); return ;;
    --kv-dtype) COMPREPLY=($(compgen -W "f32 f16" -- "$cur")); return ;;
    -d) COMPREPLY=($(compgen -W "build verify fuse dce plan" -- "$cur")); return ;;
    -o|--emit-c|--spec|--dot|--cc) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case "$cmd" in
    compile)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-o --target --dtype --kv-dtype --spec --emit-c --batch --ctx --blas --lib --name --server --line-editing --cc -d --dot --no-fuse -v --help" -- "$cur"))
      else COMPREPLY=($(compgen -f -- "$cur")); fi ;;
    inspect)
      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--dtype --spec --json --help" -- "$cur"))
      else COMPREPLY=($(compgen -f -- "$cur")); fi ;;
    tokenize|detokenize)
      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--special --help --" -- "$cur"))
      else COMPREPLY=($(compgen -f -- "$cur")); fi ;;
    targets) COMPREPLY=($(compgen -W "--tsv --help" -- "$cur")) ;;
    specs) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
  esac
}
complete -o filenames -F _venusc venusc
