/* The program the loss benchmark executes: no C library, no dynamic loader, one syscall
 * (exit 0), so an exec costs the kernel's exec and little else. Built with
 * `clang -static -nostdlib`. */
void _start(void) {
#if defined(__x86_64__)
  __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
  __asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0");
#else
#error "nop.c: add this architecture's exit syscall"
#endif
}
