/* Minimal libc declarations for compile-only checks (see string.h). */
#include <stddef.h>
int printf(const char *, ...);
int snprintf(char *, size_t, const char *, ...);
