/* tokenizer.h: the runtime tokenizer's interface (included by runtime.h).
 *
 * venusc compiles a tokenizer.json (later GGUF metadata) into one flat byte blob
 * (codegen/tokc.c); the model binary carries that blob as a data table and the
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
  unsigned char pend[16];     /* incomplete UTF-8 bytes waiting for the rest */
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

/* Full decode of ids as HF's decode(ids) (skip_special_tokens=False) does.
 * Writes at most cap bytes, returns the length the text needs. */
size_t vn_tok_decode(const VnTok *t, const int32_t *ids, size_t n, char *out, size_t cap);

/* Streaming decode: vn_tok_stream_next writes the bytes that `id` completes
 * (only whole UTF-8 characters) and returns their count; flush returns what is
 * left. The concatenation of all outputs equals vn_tok_decode of all ids. */
void vn_tok_stream_init(VnTokStream *s, const VnTok *t);
size_t vn_tok_stream_next(VnTokStream *s, int32_t id, char *out, size_t cap);
size_t vn_tok_stream_flush(VnTokStream *s, char *out, size_t cap);

/* Is `id` an end-of-generation token (eos or another the tokenizer marks so)? */
int vn_tok_is_eog(const VnTok *t, int32_t id);

#endif
