/* venusc.c: the compiler driver. Parses the command line and dispatches to
 * one subcommand; only main() turns a status into an exit code. */
#include "codegen.h"
#include <stdio.h>
#include <string.h>

static void usage(FILE *f) {
  fprintf(f, "usage: venusc COMMAND ...\n"
             "  tokenize MODEL|tokenizer.json [--special] -- TEXT\n"
             "  detokenize MODEL|tokenizer.json -- IDS\n");
}

int main(int argc, char **argv) {
  if (argc < 2) { usage(stderr); return 2; }
  if (!strcmp(argv[1], "tokenize")) return vn_cmd_tokenize(argc - 1, argv + 1);
  if (!strcmp(argv[1], "detokenize")) return vn_cmd_detokenize(argc - 1, argv + 1);
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { usage(stdout); return 0; }
  fprintf(stderr, "venusc: unknown command '%s' (try venusc --help)\n", argv[1]);
  return 2;
}
