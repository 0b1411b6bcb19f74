/* Minimal libc declarations for compile-only checks of targets that have
 * no C library here (loongarch64): enough for kernels.c and kernel_test.c
 * to compile to an object, never to link. */
#include <stddef.h>
void *memcpy(void *, const void *, size_t);
void *memset(void *, int, size_t);
void *memmove(void *, const void *, size_t);
int memcmp(const void *, const void *, size_t);
size_t strlen(const char *);
int strcmp(const char *, const char *);
