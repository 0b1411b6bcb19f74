/* Minimal libc declarations for compile-only checks (see string.h). */
#define INFINITY __builtin_inff()
#define NAN __builtin_nanf("")
#define isfinite(x) __builtin_isfinite(x)
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
float expf(float); float erff(float); float tanhf(float); float sqrtf(float); float roundf(float);
float fabsf(float); float log1pf(float); float logf(float); float powf(float, float); float fmaxf(float, float);
float fminf(float, float); float floorf(float); float ceilf(float); float sinf(float); float cosf(float);
float expm1f(float);
double exp(double); double log(double); double pow(double, double); double cos(double); double sin(double);
double sqrt(double); double fabs(double); double floor(double); double log1p(double); double tanh(double);
