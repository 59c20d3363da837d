// Error numbers with the values of Linux's asm-generic/errno-base.h and
// errno.h, because system calls return them to glibc unchanged.
//
// The enumerators are the Linux names in lower case (Errno::einval): on the
// host, <errno.h> defines EINVAL and friends as macros, which would break
// the upper-case spelling in every file shared with the host tests.
#pragma once

#include "lib/types.hpp"

enum class Errno : i32 {
    eperm = 1, enoent = 2, esrch = 3, eintr = 4, eio = 5, enxio = 6,
    e2big = 7, enoexec = 8, ebadf = 9, echild = 10, eagain = 11,
    enomem = 12, eacces = 13, efault = 14, ebusy = 16, eexist = 17,
    exdev = 18, enodev = 19, enotdir = 20, eisdir = 21, einval = 22,
    enfile = 23, emfile = 24, enotty = 25, efbig = 27, enospc = 28,
    espipe = 29, erofs = 30, emlink = 31, epipe = 32, edom = 33,
    erange = 34, edeadlk = 35, enametoolong = 36, enosys = 38,
    enotempty = 39, eloop = 40, enodata = 61, eoverflow = 75, elibbad = 80,
    eilseq = 84, enotsup = 95, etimedout = 110,
};

// Short name for logs and test output ("EINVAL"), or "E?" for others.
const char* errno_name(Errno e);
