/* fuzz_cli.c: libFuzzer target for the model binary's command line
 * (runtime/cli.c vn_main). The option parser is not a function of its own:
 * vn_main parses, checks and runs in one, so the target runs all of it on
 * the C venusc generated for examples/tiny-kjv (a tokenizer and chat
 * formats; make fuzz writes it under build/fuzz/ and its weights beside
 * this program, where the binary looks for them). The input is the argument
 * list, NUL-separated, after "model --ctx 64 -t 1" (the binary's defaults,
 * 4096 positions and a thread per core, make a run cost tens of
 * milliseconds; a later --ctx or -t in the input overrides them).
 *
 * What the harness keeps out, so that a run stays a few milliseconds and
 * touches nothing outside its scratch directory (the cwd while it runs,
 * emptied after each run but for the prompt file p.txt): arguments holding '/', and
 * values of -n/--n-predict above 32, --ctx/-c above 512, -t/--threads
 * above 4, --chunks above 2 (the loops they bound are not the parser's).
 * stdin is /dev/null (--chat reads no turns); stdout is discarded. */
#include "fuzz.h"  /* first: it asks for the GNU C library's nftw */
#include "runtime.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

int vn_main(int argc, char **argv);

static int ready, home = -1;

static void setup(void) {
  static const char text[] = "In the beginning God created the heaven and the earth.\n"
                             "And the earth was without form, and void; and darkness was upon the face of the deep.\n";
  fz_write(0, "p.txt", text, sizeof text - 1);
  home = open(".", O_RDONLY | O_DIRECTORY);  /* libFuzzer's paths are relative to it */
  if (home < 0) fz_die("cannot open", ".");
  int nul = open("/dev/null", O_RDWR);
  if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0) fz_die("cannot open", "/dev/null");
  ready = 1;
}

/* remove what a run wrote in the scratch directory (e.g. --logits FILE) */
static void sweep(void) {
  DIR *d = opendir(".");
  if (!d) fz_die("cannot read", fz_scratch());
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "p.txt")) remove(e->d_name);
  closedir(d);
}

static int too_big(const char *opt, const char *v) {
  static const struct { const char *o; long long max; } lim[] = {
    {"-n", 32}, {"--n-predict", 32}, {"--ctx", 512}, {"-c", 512}, {"-t", 4}, {"--threads", 4}, {"--chunks", 2},
  };
  for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
    if (!strcmp(opt, lim[i].o)) {
      char *e;
      errno = 0;
      long long x = strtoll(v, &e, 10);
      return errno == ERANGE || x > lim[i].max;
    }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!ready) setup();
  if (n > 4096) return 0;
  char *buf = malloc(n + 1);
  memcpy(buf, d, n);
  buf[n] = 0;
  char *argv[256];
  int argc = 0;
  argv[argc++] = "model";
  argv[argc++] = "--ctx";  /* smaller defaults than the binary's own (the input can override them) */
  argv[argc++] = "64";
  argv[argc++] = "-t";
  argv[argc++] = "1";
  for (char *s = buf; s < buf + n && argc < 255; s += strlen(s) + 1) argv[argc++] = s;
  argv[argc] = NULL;
  int skip = 0;
  for (int i = 5; i < argc; i++) {
    if (strchr(argv[i], '/')) skip = 1;
    if (i + 1 < argc && too_big(argv[i], argv[i + 1])) skip = 1;
  }
  if (!skip) {
    if (chdir(fz_scratch())) fz_die("cannot enter", fz_scratch());
    vn_main(argc, argv);
    sweep();
    if (fchdir(home)) fz_die("cannot return to", "the working directory");
  }
  free(buf);
  return 0;
}
