/* generic.h: micro-kernels of the portable target: none. kernels.c's
 * scalar fallbacks (written so compilers can vectorize them) are used. */
