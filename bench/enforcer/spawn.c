/* The loss benchmark's exec storm (bench/enforcer.sh): `spawn N RATE PROGRAM` runs PROGRAM N
 * times, one after another, each with posix_spawn (a vfork: the cheapest way from one process
 * to the next exec), paced to RATE execs/s (0: as fast as it goes) by absolute deadlines, so
 * a late exec does not slow the ones after it. Prints nothing; exits 1 on the first failure.
 * Built by the bench with clang, statically, so it runs in the fixture container. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: spawn N RATE PROGRAM\n");
    return 2;
  }
  long n = atol(argv[1]);
  long rate = atol(argv[2]);
  char *args[] = {argv[3], NULL};
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (long i = 0; i < n; i++) {
    if (rate > 0) {
      next.tv_nsec += 1000000000L / rate;
      if (next.tv_nsec >= 1000000000L) {
        next.tv_sec += 1;
        next.tv_nsec -= 1000000000L;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    pid_t pid;
    int status;
    if (posix_spawn(&pid, argv[3], NULL, NULL, args, environ) != 0 ||
        waitpid(pid, &status, 0) != pid || status != 0) {
      perror(argv[3]);
      return 1;
    }
  }
  return 0;
}
