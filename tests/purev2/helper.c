/* Test programs for the pure cgroup v2 scenario, built static so the guest needs no libc:
 *   helper hog MIB     allocate and touch MIB MiB at a time until killed
 *   helper spin        burn CPU forever
 *   helper fork N      fork N sleeping children, print how many could be created, then sleep
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "hog") == 0) {
        size_t step = (size_t)atoi(argv[2]) << 20;
        for (int total = 0;; total += atoi(argv[2])) {
            char *p = malloc(step);
            if (p == NULL) { printf("malloc failed at %d MiB\n", total); fflush(stdout); return 3; }
            memset(p, 1, step);
            printf("allocated %d MiB\n", total + atoi(argv[2]));
            fflush(stdout);
        }
    }
    if (argc >= 2 && strcmp(argv[1], "spin") == 0) {
        for (volatile unsigned long i = 0;; i++) { }
    }
    if (argc >= 3 && strcmp(argv[1], "fork") == 0) {
        int wanted = atoi(argv[2]), created = 0;
        for (; created < wanted; created++) {
            pid_t pid = fork();
            if (pid == 0) { pause(); _exit(0); }
            if (pid < 0) break;
        }
        printf("created %d of %d\n", created, wanted);
        fflush(stdout);
        for (;;) pause();
    }
    fprintf(stderr, "usage: helper hog MIB | spin | fork N\n");
    return 2;
}
