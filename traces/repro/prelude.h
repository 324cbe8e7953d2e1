#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

enum { OP_MMAP = 1, OP_WRITE, OP_MPROTECT, OP_MADVISE, OP_MUNMAP, OP_FORK, OP_EXIT };

/* One VMA as /proc/self/maps shows it, in page slots: [start, end) perm. */
struct vma {
	int start, end;
	const char *perm;
};

/* A page slot of a process at the end, as the model has it. */
struct mpage {
	int mapcount; /* page_mapcount() of the page mapped there; 0: none is */
	int reach;    /* 1: the rmap walk from its page->mapping finds this mapping */
};

/* One step of the trace and what the model predicts for it. */
struct step {
	const char *label; /* "s1" (setup) or "4", as the trace numbers it */
	const char *call;  /* the call, without its process */
	int proc;          /* model process slot that performs it (P1 is 0) */
	int child;         /* fork: the new process's slot; -1 otherwise */
	int op, start, end, arg;
	int expect;        /* return value: 0 or -errno */
	int nvma;          /* layout of proc after the step */
	struct vma vma[PAGES];
	int ncvma;         /* fork: layout of the child */
	struct vma cvma[PAGES];
	const char *model; /* the variant whose prediction this is */
	struct mpage page[PAGES]; /* the final MADV_PAGEOUT: the model's pages */
};
