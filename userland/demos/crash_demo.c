/* A program that crashes in a named function called through two others,
 * for the core-dump test (tests/tools/coredump_test.py). Run as init, it
 * forks the crash with RLIMIT_CORE unlimited in /tmp, waits, and prints
 * the core file on the console: "CORE-SIZE n", then "CORE-PAGE offset
 * base64" for each 4 KiB page that is not all zeros, then "CORE-END". */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int *target; /* null: the store below faults */

__attribute__((noinline)) void crash_in_leaf(int depth)
{
    *target = depth; /* the faulting line */
}

__attribute__((noinline)) void middle_function(int depth) { crash_in_leaf(depth + 1); }

__attribute__((noinline)) void outer_function(int depth) { middle_function(depth + 1); }

static void print_base64(const unsigned char *data, size_t length)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < length; i += 3) {
        unsigned v = data[i] << 16 | (i + 1 < length ? data[i + 1] << 8 : 0) | (i + 2 < length ? data[i + 2] : 0);
        putchar(digits[v >> 18 & 63]);
        putchar(digits[v >> 12 & 63]);
        putchar(i + 1 < length ? digits[v >> 6 & 63] : '=');
        putchar(i + 2 < length ? digits[v & 63] : '=');
    }
}

int main(void)
{
    struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_CORE, &unlimited) != 0 || chdir("/tmp") != 0)
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        outer_function(0);
        _exit(1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return 3;
    printf("crash_demo: child %s by signal %d, core %s\n", WIFSIGNALED(status) ? "killed" : "not killed",
           WIFSIGNALED(status) ? WTERMSIG(status) : 0, WCOREDUMP(status) ? "dumped" : "not dumped");
    int fd = open("core", O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return 4;
    printf("CORE-SIZE %lld\n", (long long)st.st_size);
    static unsigned char page[4096], zeros[4096];
    for (long long offset = 0;; offset += sizeof(page)) {
        ssize_t n = pread(fd, page, sizeof(page), offset);
        if (n <= 0)
            break;
        if (memcmp(page, zeros, (size_t)n) == 0)
            continue;
        printf("CORE-PAGE %lld ", offset);
        print_base64(page, (size_t)n);
        putchar('\n');
    }
    printf("CORE-END\n");
    fflush(stdout);
    return WCOREDUMP(status) ? 0 : 5;
}
