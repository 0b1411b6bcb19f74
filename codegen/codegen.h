/* codegen.h: venusc's driver-side interfaces (frontend, codegen, packing,
 * tokenizer compiler, subcommands). */
#ifndef VN_CODEGEN_H
#define VN_CODEGEN_H
#include <stddef.h>
#include <stdint.h>

/* ---- tokenizer compiler (codegen/tokc.c) ----
 * Compiles a tokenizer.json (plus, when given, tokenizer_config.json) into the
 * blob runtime/tokenizer.c reads. Returns a malloc'ed blob and its length, or
 * NULL with a one-line message naming the file and the problem in err. */
unsigned char *vn_tokc_compile_json(const char *tokenizer_json, const char *tokenizer_config,
                                    size_t *len, char *err, size_t errcap);

/* ---- subcommands (codegen/tokcmd.c) ----
 * argv[0] is the subcommand name; return the process exit status. */
int vn_cmd_tokenize(int argc, char **argv);
int vn_cmd_detokenize(int argc, char **argv);

#endif
