/* Minimal libc declarations for compile-only checks (see string.h). */
#include <stddef.h>
void *malloc(size_t); void free(void *); void *calloc(size_t, size_t); void *realloc(void *, size_t);
void abort(void); void exit(int);
