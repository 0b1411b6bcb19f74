/* open.c: open a context of the library oc_ and print what happened:
 * "opened", or the code's name and the message (exit 1).
 *   open OC.vnw */
#include <stdio.h>
#include "oc.h"

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: open OC.vnw\n"); return 2; }
  oc_ctx *c;
  int rc = oc_open(argv[1], NULL, &c);
  if (rc) fprintf(stderr, "open: %s (%d): %s\n", oc_strerror(rc), rc, oc_errmsg(c));
  else printf("opened\n");
  oc_close(c);
  return rc ? 1 : 0;
}
