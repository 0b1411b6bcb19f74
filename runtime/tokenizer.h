/* tokenizer.h: the runtime tokenizer's interface (included by runtime.h).
 *
 * venusc compiles a tokenizer.json or GGUF tokenizer.ggml.* metadata into one
 * flat byte blob (tok/tokc.c); the model binary carries that blob as a data table and the
 * runtime reads it in place: vn_tok_load checks it and fills a VnTok with
 * pointers into it, nothing is copied and nothing is allocated. `venusc tokenize`
 * runs this same code on the same blob.
 *
 * Depends on libc alone (no malloc either: callers hand in work memory), so it
 * builds for every target, bare metal included. */
#ifndef VN_TOKENIZER_H
#define VN_TOKENIZER_H
#include <stddef.h>
#include <stdint.h>

/* Filled by vn_tok_load; every pointer points into the blob. Fields beyond the
 * first few are private to runtime/tokenizer.c. */
typedef struct VnTok {
  const unsigned char *blob;
  size_t blob_len;
  int32_t n_vocab;
  int32_t bos_id, eos_id;     /* -1 when the tokenizer has none */
  const void *priv[32];       /* tokenizer.c's section pointers */
  int64_t ipriv[32];          /* tokenizer.c's counters and flags */
} VnTok;

/* Streaming decoder state: feed ids one at a time, get back bytes that are
 * complete UTF-8 (partial sequences are held until completed or flushed). */
typedef struct VnTokStream {
  const VnTok *tok;
  int32_t n_done;             /* ids fed so far */
  int32_t pend_len;
  unsigned char pend[64];     /* bytes held back: an incomplete UTF-8 character, or a
                                 run of byte-fallback tokens whose validity decides
                                 whether they print as text or as U+FFFD each */
  int64_t ipriv[4];
} VnTokStream;

/* 0 on success; -1 when the blob is malformed (wrong magic/version/bounds). */
int vn_tok_load(VnTok *t, const unsigned char *blob, size_t len);

/* Work memory vn_tok_encode needs for a text of `len` bytes. */
size_t vn_tok_work_size(const VnTok *t, size_t len);

/* Encode `len` bytes of UTF-8 text. add_special: apply the tokenizer's
 * post-processor (e.g. BOS) as HF's add_special_tokens=True does. Special/added
 * tokens written in the text are matched as HF does. Writes at most `cap` ids
 * and returns how many the text needs (call again with more room if that is
 * larger than cap); -1 if `work` is too small. */
long vn_tok_encode(const VnTok *t, const char *text, size_t len, int add_special,
                   int32_t *ids, long cap, void *work, size_t work_cap);

/* The same with options: VN_TOK_ADD_SPECIAL as add_special above;
 * VN_TOK_PARSE_SPECIAL: special added tokens written in the text are matched
 * (vn_tok_encode always does; GGUF's reference tokenizer tests do not, and match
 * only the other added tokens). */
enum { VN_TOK_ADD_SPECIAL = 1, VN_TOK_PARSE_SPECIAL = 2 };
long vn_tok_encode_opts(const VnTok *t, const char *text, size_t len, unsigned opts,
                        int32_t *ids, long cap, void *work, size_t work_cap);

/* Full decode of ids as HF's decode(ids) (skip_special_tokens=False) does.
 * Writes at most cap bytes, returns the length the text needs. */
size_t vn_tok_decode(const VnTok *t, const int32_t *ids, size_t n, char *out, size_t cap);

/* Streaming decode: vn_tok_stream_next writes the bytes that `id` completes
 * (only whole UTF-8 characters) and returns their count; flush returns what is
 * left. The concatenation of all outputs equals vn_tok_decode of all ids. */
void vn_tok_stream_init(VnTokStream *s, const VnTok *t);
size_t vn_tok_stream_next(VnTokStream *s, int32_t id, char *out, size_t cap);
size_t vn_tok_stream_flush(VnTokStream *s, char *out, size_t cap);

/* A cap that always holds what one stream_next or stream_flush writes. */
size_t vn_tok_stream_room(const VnTok *t);

/* Is `id` an end-of-generation token (eos or another the tokenizer marks so)? */
int vn_tok_is_eog(const VnTok *t, int32_t id);

/* The raw bytes vn_tok_decode would give for `id` on its own, before any decoder
 * step that spans tokens (NULL and *len = 0 for an unknown id). For debugging and
 * for printing tokens; the pointer points into the blob. */
const char *vn_tok_piece(const VnTok *t, int32_t id, size_t *len);

/* ---- blob format (shared by tok/tokc.c, the writer, and tokenizer.c) ----
 * Little-endian throughout; the reader reads it byte by byte, so the blob needs
 * no alignment. Layout:
 *   "VNTK"  u32 version  u32 n_sections  u32 blob_len
 *   n_sections x { u32 tag, u32 offset, u32 length }    offsets from blob start
 *   section payloads
 * docs/tokenizers.md describes every section. */
#define VN_TOK_MAGIC "VNTK"
#define VN_TOK_VERSION 1

enum {                        /* section tags */
  VN_TOKSEC_PARAMS = 1,       /* u32[VN_TOKPAR_COUNT] */
  VN_TOKSEC_VOFF,             /* u32[n_vocab+1]: piece i is vstr[voff[i]..voff[i+1]) */
  VN_TOKSEC_VSTR,             /* bytes: the pieces, raw bytes (byte-level mapped back) */
  VN_TOKSEC_VFLAGS,           /* u8[n_vocab]: VN_TOKV_* */
  VN_TOKSEC_VHASH,            /* u32 nslots (power of 2), u32[nslots] id+1 (0 empty):
                                 model vocab piece -> id, FNV-1a 32, linear probing */
  VN_TOKSEC_BYTEIDS,          /* u32[256]: id of the model's one-byte piece b, or ~0 */
  VN_TOKSEC_FBIDS,            /* u32[256]: id of "<0xXX>" (byte fallback), or ~0 */
  VN_TOKSEC_MIDX,             /* u32[n_vocab+1]: merges whose left id is i are
                                 medge[midx[i]..midx[i+1]) */
  VN_TOKSEC_MEDGE,            /* {u32 right, u32 rank}, sorted by right within a left id */
  VN_TOKSEC_MRES,             /* u32[n_merges]: result id of the merge of that rank */
  VN_TOKSEC_ADDED,            /* u32 n, n x {u32 id, u32 VN_TOKADD_* flags} */
  VN_TOKSEC_TRIE_RAW,         /* added tokens matched on the raw text (see below) */
  VN_TOKSEC_TRIE_NORM,        /* added tokens matched on normalized text */
  VN_TOKSEC_NORM,             /* step lists: u32 n, n x VnTokStep record */
  VN_TOKSEC_PRE,
  VN_TOKSEC_DEC,
  VN_TOKSEC_POST,             /* u32 n_prefix, ids, u32 n_suffix, ids */
  VN_TOKSEC_EOG,              /* u32 n, ids ascending */
  VN_TOKSEC_UCLASS,           /* u8[256] classes of U+0000..U+00FF, u32 n,
                                 n x u32 (first_cp << 8 | VN_TOKU_* class) ascending */
  VN_TOKSEC_NFC_DEC,          /* u32 n, n x {u32 cp, u32 off << 8 | len} ascending, then
                                 u32 pool_len, u32[pool_len]: full canonical decompositions */
  VN_TOKSEC_NFC_CCC,          /* u32 n, n x u32 (first_cp << 8 | ccc) ascending */
  VN_TOKSEC_NFC_COMP,         /* u32 n, n x {u32 first, u32 second, u32 composite}
                                 ascending by (first, second) */
  VN_TOKSEC_WALL,             /* optional: u32 nbits (power of 2), u8[nbits / 8]: bit
                                 fnv1a(c1 c2) & (nbits - 1) is set when characters c1 c2
                                 (bytes, for byte-level models) stand side by side in a
                                 vocabulary piece; no merge can cross a clear one, so BPE
                                 may cut a long word there */
  VN_TOKSEC_LOWER,            /* optional: u32 n, n x {u32 cp, u32 lower, u32 second or 0}
                                 ascending: lowercase mappings that change cp */
  VN_TOKSEC_MODEL,            /* optional (absent: BPE): u32 VN_TOKMODEL_*, u32 max chars per
                                 word, then two strings (u32 len, bytes padded to 4): the word
                                 prefix and the continuing-subword prefix of WordPiece */
  VN_TOKSEC_SCORES,           /* Unigram: f64 min score, then f64[n_vocab] piece scores (each as
                                 u32 low word, u32 high word of the IEEE 754 bits) */
  VN_TOKSEC_UPREFIX,          /* Unigram: u32 nbits (power of 2), u8[nbits / 8]: bit
                                 fnv1a(p) & (nbits - 1) is set for every prefix p of every
                                 piece, so the lattice stops extending a match early */
  VN_TOKSEC_NFKC_DEC,         /* only with NFKC/NFKD: full compatibility decompositions, laid
                                 out as VN_TOKSEC_NFC_DEC */
  VN_TOKSEC_PCMAP_TRIE,       /* Precompiled: the charsmap's keys as a trie (the added-token
                                 format; a node's value is a string index + 1) */
  VN_TOKSEC_PCMAP_STR,        /* u32 n, n x {u32 off, u32 len}, u32 pool_len, pool: replacements */
  VN_TOKSEC_GRAPH,            /* Precompiled: grapheme break classes, u32 n, n x u32
                                 (first_cp << 8 | VN_TOKG_*) ascending */
  VN_TOKSEC_END_
};
enum { VN_TOKMODEL_BPE, VN_TOKMODEL_WORDPIECE, VN_TOKMODEL_UNIGRAM };
/* Trie: u32 n_nodes, u32 root[256] (child node or 0), n_nodes x {u32 edge_start,
 * u32 n_edges, u32 added index + 1 or 0}, u32 n_edges, n_edges x u32
 * (child << 8 | byte) sorted by byte. Node 0 is the root. */

enum {                        /* VN_TOKSEC_PARAMS indices */
  VN_TOKPAR_FLAGS, VN_TOKPAR_NVOCAB, VN_TOKPAR_NMERGES, VN_TOKPAR_UNK, VN_TOKPAR_BOS,
  VN_TOKPAR_EOS, VN_TOKPAR_NORM_MUL, VN_TOKPAR_NORM_ADD, VN_TOKPAR_PRE_MUL,
  VN_TOKPAR_PRE_ADD, VN_TOKPAR_MAXPIECE, VN_TOKPAR_COUNT
};
enum {                        /* VN_TOKPAR_FLAGS bits */
  VN_TOKF_BYTE_LEVEL = 1,     /* the model's symbols are bytes (GPT-2 ByteLevel) */
  VN_TOKF_BYTE_FALLBACK = 2, VN_TOKF_IGNORE_MERGES = 4, VN_TOKF_FUSE_UNK = 8
};
enum {                        /* VN_TOKSEC_VFLAGS bits */
  VN_TOKV_PRESENT = 1, VN_TOKV_ADDED = 2, VN_TOKV_SPECIAL = 4, VN_TOKV_BYTE = 8
};
enum {                        /* added token flags */
  VN_TOKADD_SPECIAL = 1, VN_TOKADD_LSTRIP = 2, VN_TOKADD_RSTRIP = 4,
  VN_TOKADD_SINGLE_WORD = 8, VN_TOKADD_NORMALIZED = 16
};
enum {                        /* character classes (VN_TOKSEC_UCLASS): general categories
                                 L*, N*, Mn, P*, S*, C*; White_Space; W the \w of regexes */
  VN_TOKU_L = 1, VN_TOKU_N = 2, VN_TOKU_WS = 4, VN_TOKU_M = 8, VN_TOKU_W = 16,
  VN_TOKU_P = 32, VN_TOKU_S = 64, VN_TOKU_C = 128
};
/* A step record: u32 kind, u32 a, u32 b, u32 c, u32 len1, bytes1 padded to 4,
 * u32 len2, bytes2 padded to 4. */
enum {                        /* normalizer step kinds */
  VN_TOKNORM_NFC = 1, VN_TOKNORM_NFD, VN_TOKNORM_PREPEND /* s1 */,
  VN_TOKNORM_REPLACE /* s1 -> s2 */,
  VN_TOKNORM_BERT,            /* a VN_TOKBERT_* (BertNormalizer; LOWER needs VN_TOKSEC_LOWER);
                                 s1: u32 {first, last} ranges clean_text drops (else class C) */
  VN_TOKNORM_NFKC,            /* compatibility decomposition (VN_TOKSEC_NFKC_DEC), then as NFC */
  VN_TOKNORM_NFKD,
  VN_TOKNORM_STRIP,           /* a strip white space on the left, b on the right */
  VN_TOKNORM_REPLACE_PROG,    /* s1 a compiled regex (VN_TOKRX_*): every match -> s2 */
  VN_TOKNORM_PRECOMPILED      /* SentencePiece charsmap (VN_TOKSEC_PCMAP_*), per grapheme as HF */
};
enum {                        /* grapheme cluster break classes (UAX #29, as utf8proc has them) */
  VN_TOKG_OTHER = 1, VN_TOKG_CR, VN_TOKG_LF, VN_TOKG_CONTROL, VN_TOKG_EXTEND, VN_TOKG_L, VN_TOKG_V,
  VN_TOKG_T, VN_TOKG_LV, VN_TOKG_LVT, VN_TOKG_RI, VN_TOKG_SPACINGMARK, VN_TOKG_PREPEND, VN_TOKG_ZWJ,
  VN_TOKG_EXTPICT = 19, VN_TOKG_EZWJ = 20
};
enum { VN_TOKBERT_CLEAN = 1, VN_TOKBERT_CHINESE = 2, VN_TOKBERT_STRIP = 4, VN_TOKBERT_LOWER = 8,
       VN_TOKBERT_MARKS = 16 /* marks dropped without NFD first (HF StripAccents: s1 the ranges, M*) */ };
enum {                        /* pre-tokenizer step kinds */
  VN_TOKPRE_SPLIT_REGEX = 1,  /* a regex id, b behaviour, c invert */
  VN_TOKPRE_SPLIT_STRING,     /* s1 pattern, b behaviour, c invert */
  VN_TOKPRE_BYTELEVEL,        /* a add_prefix_space, b use_regex (GPT-2) */
  VN_TOKPRE_METASPACE,        /* s1 replacement, a prepend scheme, b split */
  VN_TOKPRE_DIGITS,           /* a individual_digits */
  VN_TOKPRE_SPLIT_PROG,       /* s1 a compiled regex (VN_TOKRX_*), b behaviour, c invert */
  VN_TOKPRE_BERT              /* BertPreTokenizer: split on white space, punctuation isolated */
};
enum { VN_TOKRE_BYTELEVEL = 1, VN_TOKRE_CL100K, VN_TOKRE_CL100K_N1 };
/* A compiled regex (tok/regex.c writes it, runtime/tokenizer.c runs it as a
 * Pike VM), u32 words: n_code, then n_code instructions {op, a, b}, then the
 * data the SET instructions point into. Jumps are relative, in instructions;
 * the program ends in MATCH. */
enum {
  VN_TOKRX_CHAR = 1,          /* a code point */
  VN_TOKRX_ANY,               /* any character but \n */
  VN_TOKRX_SET,               /* a data offset: u32 neg, u32 n, n x {u32 VN_TOKRX_ITEM_*, a, b} */
  VN_TOKRX_SPLIT,             /* a preferred, b other: relative targets */
  VN_TOKRX_JMP,               /* a relative target */
  VN_TOKRX_MATCH,
  VN_TOKRX_BOL,               /* at the start of the text or after \n (Oniguruma's ^) */
  VN_TOKRX_EOL,               /* at the end of the text or before \n */
  VN_TOKRX_NOTAHEAD,          /* the next instruction (CHAR, ANY or SET) must not accept the next
                                 character (or the text ends); execution goes on after it */
  VN_TOKRX_AHEAD              /* ... must accept it */
};
enum { VN_TOKRX_ITEM_RANGE, VN_TOKRX_ITEM_CLS, VN_TOKRX_ITEM_NOTCLS };  /* [a, b]; class bits a set; all clear */
#define VN_TOKRX_MAXPROG 32768
enum {                        /* split behaviours, as HF's SplitDelimiterBehavior */
  VN_TOKSPLIT_REMOVED, VN_TOKSPLIT_ISOLATED, VN_TOKSPLIT_MERGED_PREV,
  VN_TOKSPLIT_MERGED_NEXT, VN_TOKSPLIT_CONTIGUOUS
};
enum { VN_TOKPREPEND_ALWAYS, VN_TOKPREPEND_FIRST, VN_TOKPREPEND_NEVER };
enum {                        /* decoder step kinds */
  VN_TOKDEC_BYTELEVEL = 1, VN_TOKDEC_REPLACE /* s1 (one char) -> s2 */,
  VN_TOKDEC_BYTEFALLBACK, VN_TOKDEC_FUSE, VN_TOKDEC_STRIP /* s1 char, a start */,
  VN_TOKDEC_METASPACE /* s1 replacement, a prepend scheme */,
  VN_TOKDEC_JOIN_SPACE,       /* no decoder: pieces joined by ' ' */
  VN_TOKDEC_WORDPIECE         /* s1 continuing prefix, a cleanup: HF's WordPiece decoder (alone) */
};

#endif
