/* made.c: the record of what this run of venusc made -- temporary outputs,
 * the work tree and each file in it, the running compiler -- so that a
 * failure or a caught signal removes exactly those and nothing else.
 *
 * Entries are prepended to a list with a single pointer store and are never
 * freed, so vn_made_remove (unlink, rmdir, kill, waitpid: async-signal-safe)
 * may run from a signal handler at any moment. Removal goes newest first:
 * a directory's files go before the directory.
 *
 * kill -9 cannot be caught: every temporary name carries the pid of the run
 * that made it (OUT.tmpPID, OUT.vnw.tmpPID, $TMPDIR/venusc.PID.XXXXXX), and
 * vn_made_sweep removes those whose pid no longer runs. */
#include "codegen.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

typedef struct Made {
  struct Made *next;
  volatile sig_atomic_t live;  /* 0 once removed or kept */
  int kind;                    /* VN_MADE_FILE, _DIR or _SCRATCH */
  char path[];
} Made;

static Made *volatile made_head;
static volatile pid_t made_child;  /* the compiler's process group, while it runs */

void vn_made_add(const char *path, int kind) {
  size_t n = strlen(path);
  Made *m = malloc(sizeof *m + n + 1);
  if (!m) return;  /* then it is only not removed */
  memcpy(m->path, path, n + 1);
  m->kind = kind;
  m->live = 1;
  m->next = made_head;
  made_head = m;
}

int vn_made_add_new(const char *path) {
  struct stat st;
  if (lstat(path, &st) == 0) return 0;  /* there before: not ours to remove */
  vn_made_add(path, VN_MADE_FILE);
  return 1;
}

void vn_made_keep(const char *path) {
  size_t n = strlen(path);
  for (Made *m = made_head; m; m = m->next)
    if (!strncmp(m->path, path, n) && (m->path[n] == 0 || m->path[n] == '/')) m->live = 0;
}

void vn_made_child(pid_t pgid) { made_child = pgid; }

/* A scratch directory (the compiler's TMPDIR): every file in it, then it.
 * getdents64 on a stack buffer, as opendir allocates: signal-safe. */
static void rm_scratch(const char *path) {
#ifdef __linux__
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    char buf[4096];
    for (long n; (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0;)
      for (long off = 0; off < n;) {
        struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d = (void *)(buf + off);
        if (strcmp(d->name, ".") && strcmp(d->name, "..")) unlinkat(fd, d->name, 0);
        off += d->reclen;
      }
    close(fd);
  }
#endif
  rmdir(path);
}

static void rm_one(Made *m) {
  m->live = 0;
  if (m->kind == VN_MADE_SCRATCH) rm_scratch(m->path);
  else if (m->kind == VN_MADE_DIR) rmdir(m->path);
  else unlink(m->path);
}

void vn_made_remove_path(const char *path) {
  for (Made *m = made_head; m; m = m->next)
    if (m->live && !strcmp(m->path, path)) rm_one(m);
}

void vn_made_remove(void) {
  pid_t c = made_child;
  if (c > 0) {  /* the compiler first, so that it writes nothing after us */
    kill(-c, SIGKILL);
    while (waitpid(c, NULL, 0) < 0 && errno == EINTR) {}
    /* and the rest of its group (cc1, as, ld): our children too when venusc
     * is their subreaper (PR_SET_CHILD_SUBREAPER), else waited for */
    while (waitpid(-c, NULL, 0) > 0 || errno == EINTR) {}
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 2000 && kill(-c, 0) == 0; i++) nanosleep(&ms, NULL);
    made_child = 0;
  }
  for (Made *m = made_head; m; m = m->next)
    if (m->live) rm_one(m);
}

const char *vn_made_tmpdir(void) {
  const char *t = getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

/* s is "<digits>" followed by end (tail NULL) or by tail: the pid, else 0 */
static long pid_in(const char *s, const char *tail) {
  char *e;
  if (*s < '1' || *s > '9') return 0;
  long p = strtol(s, &e, 10);
  if (tail ? strncmp(e, tail, strlen(tail)) : *e) return 0;
  return p > 0 && p < (1L << 30) ? p : 0;
}

/* a venusc run of that pid has died (EPERM: it runs, as another user) */
static int dead(long pid) { return pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH; }

/* A work tree holds the files of one run and the compiler's scratch
 * folder: remove them, then it. */
static void sweep_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) return;
  DIR *d = opendir(path);
  if (!d) return;
  for (struct dirent *e; (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[4096];
    if ((size_t)snprintf(p, sizeof p, "%s/%s", path, e->d_name) >= sizeof p) continue;
    if (lstat(p, &st)) continue;
    if (!S_ISDIR(st.st_mode)) unlink(p);
    else if (!strcmp(e->d_name, VN_MADE_SCRATCH_NAME)) rm_scratch(p);
  }
  closedir(d);
  rmdir(path);
}

void vn_made_sweep(const char *out) {
  /* OUT.tmpPID and OUT.vnw.tmpPID beside OUT */
  if (out && *out) {
    char dir[4096];
    const char *slash = strrchr(out, '/');
    const char *base = slash ? slash + 1 : out;
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - out == 0 ? 1 : slash - out), out);
    else snprintf(dir, sizeof dir, ".");
    size_t bl = strlen(base);
    DIR *d = bl ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
      const char *n = e->d_name;
      if (strncmp(n, base, bl)) continue;
      n += bl;
      if (!strncmp(n, ".vnw", 4)) n += 4;
      if (strncmp(n, ".tmp", 4)) continue;
      long pid = pid_in(n + 4, NULL);
      struct stat st;
      char p[8192];
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      if (pid && dead(pid) && !lstat(p, &st) && S_ISREG(st.st_mode) && st.st_uid == geteuid()) unlink(p);
    }
    if (d) closedir(d);
  }
  /* $TMPDIR/venusc.PID.XXXXXX */
  const char *td = vn_made_tmpdir();
  DIR *d = opendir(td);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (strncmp(e->d_name, "venusc.", 7)) continue;
    long pid = pid_in(e->d_name + 7, ".");
    const char *dot = strchr(e->d_name + 7, '.');
    if (!pid || !dot || strlen(dot + 1) != 6 || !dead(pid)) continue;
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", td, e->d_name);
    sweep_tree(p);
  }
  if (d) closedir(d);
}
