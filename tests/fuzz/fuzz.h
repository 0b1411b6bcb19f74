/* fuzz.h: what the fuzz targets share (tests/fuzz/README.md). The readers
 * take paths, so each input is written to a file in a private scratch
 * directory: $TMPDIR/venus-fuzz.XXXXXX, made on first use and removed at
 * exit. Fixture paths are relative to the repository root, where
 * `make fuzz` runs the targets. Every helper aborts on a failure of the
 * harness itself (never of the code under test), so such a failure cannot
 * pass for a finding of the reader. */
#ifndef VN_FUZZ_H
#define VN_FUZZ_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_dir[512];

static inline void fz_die(const char *what, const char *p) {
  fprintf(stderr, "fuzz harness: %s %s\n", what, p ? p : "");
  abort();
}

static inline int fz_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb; (void)flag; (void)ftw;
  return remove(p);
}

static inline void fz_cleanup(void) {
  if (fz_dir[0]) nftw(fz_dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* the scratch directory, made once */
static inline const char *fz_scratch(void) {
  if (!fz_dir[0]) {
    const char *t = getenv("TMPDIR");
    snprintf(fz_dir, sizeof fz_dir, "%s/venus-fuzz.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(fz_dir)) fz_die("cannot create", fz_dir);
    atexit(fz_cleanup);
  }
  return fz_dir;
}

/* a path in the scratch directory (static buffer: one live at a time per slot) */
static inline const char *fz_path(int slot, const char *name) {
  static char buf[8][1024];
  snprintf(buf[slot & 7], sizeof buf[0], "%s/%s", fz_scratch(), name);
  return buf[slot & 7];
}

static inline void fz_write_to(const char *p, const void *d, size_t n) {
  FILE *f = fopen(p, "wb");
  if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f)) fz_die("cannot write", p);
}

/* write the input as scratch file `name`; returns its path */
static inline const char *fz_write(int slot, const char *name, const void *d, size_t n) {
  const char *p = fz_path(slot, name);
  fz_write_to(p, d, n);
  return p;
}

/* a symbolic link in the scratch directory to a fixture (made once) */
static inline void fz_link(const char *name, const char *fixture) {
  char abs[4096];
  if (!realpath(fixture, abs)) fz_die("fixture missing (run from the repository root):", fixture);
  const char *p = fz_path(7, name);
  unlink(p);
  if (symlink(abs, p)) fz_die("cannot link", p);
}

/* a subdirectory of the scratch directory (made once); returns its path */
static inline const char *fz_subdir(int slot, const char *name) {
  const char *p = fz_path(slot, name);
  if (mkdir(p, 0700) && access(p, F_OK)) fz_die("cannot create", p);
  return p;
}

static inline char *fz_read(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) fz_die("cannot read (run from the repository root):", path);
  size_t cap = 1 << 16, len = 0;
  char *b = malloc(cap + 1);
  for (size_t r; b && (r = fread(b + len, 1, cap - len, f)) > 0;) {
    len += r;
    if (len == cap) b = realloc(b, (cap *= 2) + 1);
  }
  fclose(f);
  if (!b) fz_die("out of memory reading", path);
  b[len] = 0;
  *n = len;
  return b;
}
#endif
