/* generic.h: the portable target maps no vector vocabulary: kernels.c
 * writes its kernels over the scalar one (one lane), loops compilers may
 * vectorize. */
