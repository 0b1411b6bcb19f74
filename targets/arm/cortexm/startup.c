/* startup.c: bare-metal start-up for Cortex-M model binaries (and the
 * kernel test) on boards QEMU emulates. The vector table gives the initial
 * stack pointer (the top of RAM, from the board's linker script) and the
 * reset handler, which enables the FPU (and MVE: CP10/CP11 in CPACR),
 * copies .data from its load address when that differs (real flash),
 * clears .bss, sets up newlib's semihosting streams and runs
 * exit(main(argc, argv)) with the command line read through semihosting
 * (SYS_GET_CMDLINE; QEMU joins its -semihosting-config arg= values with
 * spaces, so an argument holding spaces comes quoted: "a b" or 'a b').
 * Faults print their name through semihosting and exit with status 70
 * instead of hanging the emulator. No heap is needed by venus itself: the
 * model's buffers are static; newlib's stdio takes its few buffers from
 * the RAM between the end of .bss and the stack. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);
extern uint32_t __StackTop, __data_load, __data_start, __data_end, __bss_start, __bss_end;

#define VN_CMDLINE_MAX 16384
#define VN_ARGV_MAX 256
static char cmdline[VN_CMDLINE_MAX];
static char *argv_[VN_ARGV_MAX + 1];

static int semihost(int op, void *arg) {
  register int r0 __asm__("r0") = op;
  register void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static void fault(const char *what) {
  semihost(0x04, (void *)what);  /* SYS_WRITE0 */
  /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, status} */
  uint32_t blk[2] = {0x20026, 70};
  semihost(0x20, blk);
  uint32_t reason = 0x20023;     /* ADP_Stopped_InternalError, for hosts without the extension */
  semihost(0x18, (void *)(uintptr_t)reason);
  for (;;) {}
}

/* newlib's exit() runs __libc_fini_array, which calls _fini; no C++ here */
void _init(void) {}
void _fini(void) {}

void HardFault_Handler(void) { fault("HardFault\n"); }
void MemManage_Handler(void) { fault("MemManage fault\n"); }
void BusFault_Handler(void) { fault("BusFault\n"); }
void UsageFault_Handler(void) { fault("UsageFault\n"); }
void Default_Handler(void) { fault("unexpected interrupt\n"); }

/* split the command line: spaces separate, quotes group, backslash escapes */
static int split_args(char *s, char **av, int max) {
  int n = 0;
  char *o = s;
  while (*s) {
    while (*s == ' ' || *s == '\t' || *s == '\n') s++;
    if (!*s) break;
    if (n == max) break;
    av[n++] = o;
    char q = 0;
    for (; *s; s++) {
      if (q) {
        if (*s == q) q = 0;
        else if (*s == '\\' && q == '"' && s[1]) *o++ = *++s;
        else *o++ = *s;
      } else if (*s == '"' || *s == '\'') q = *s;
      else if (*s == '\\' && s[1]) *o++ = *++s;
      else if (*s == ' ' || *s == '\t' || *s == '\n') { s++; break; }
      else *o++ = *s;
    }
    *o++ = 0;
  }
  av[n] = NULL;
  return n;
}

static void __attribute__((noinline, used)) start_c(void) {
  uint32_t *src = &__data_load, *dst = &__data_start;
  if (src != dst) while (dst < &__data_end) *dst++ = *src++;
  for (dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  initialise_monitor_handles();
  struct { char *buf; int len; } blk = {cmdline, VN_CMDLINE_MAX - 1};
  int argc = 0;
  if (semihost(0x15, &blk) == 0) {  /* SYS_GET_CMDLINE */
    cmdline[VN_CMDLINE_MAX - 1] = 0;
    argc = split_args(cmdline, argv_, VN_ARGV_MAX);
  }
  static char prog[] = "model";
  if (argc == 0) { argv_[0] = prog; argv_[1] = NULL; argc = 1; }
  exit(main(argc, argv_));
}

/* Runs before the FPU is on: touches no floating-point register. */
void __attribute__((naked, noreturn)) Reset_Handler(void) {
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n"   /* CPACR */
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"  /* CP10, CP11: full access */
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "b start_c\n");
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
  (void (*)(void))(uintptr_t)&__StackTop, Reset_Handler, Default_Handler, HardFault_Handler,
  MemManage_Handler, BusFault_Handler, UsageFault_Handler, Default_Handler,
  Default_Handler, Default_Handler, Default_Handler, Default_Handler,
  Default_Handler, Default_Handler, Default_Handler, Default_Handler,
};
