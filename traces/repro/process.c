/* A step sent to a process. */
struct cmd {
	int op, start, end, arg;
};

/* A VMA /proc/self/maps shows inside the range, in page slots. */
struct got {
	long start, end;
	char perm[8];
};

#define MAXGOT 64

/* Bits of a page slot's /proc/self/pagemap entry (ack.pm). */
#define PM_PRESENT 1 /* bit 63: a page is mapped */
#define PM_SWAPPED 2 /* bit 62: the PTE holds a swap entry */

/* A process's answer: the call's return value and its layout after it. */
struct ack {
	long ret;
	long pid; /* fork: the child's pid */
	int err;  /* errno of reading /proc/self/maps; 0 if it worked */
	int nvma;
	struct got vma[MAXGOT];
	int pmerr; /* MADV_PAGEOUT: errno of reading /proc/self/pagemap; 0 if it worked */
	unsigned char pm[PAGES]; /* MADV_PAGEOUT: PM_ bits of each page slot */
};

static long pagesize;

/* ---- messages: SOCK_SEQPACKET, one message per send, an fd attached to a fork ---- */

static int send_msg(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {(void *)buf, len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;

	memset(&m, 0, sizeof m);
	memset(&u, 0, sizeof u);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = u.buf;
		m.msg_controllen = sizeof u.buf;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* recv_msg returns the message length, 0 when the peer is gone, -1 on error. */
static ssize_t recv_msg(int sock, void *buf, size_t len, int *fd)
{
	struct iovec iov = {buf, len};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t n;

	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof u.buf;
	do
		n = recvmsg(sock, &m, 0);
	while (n < 0 && errno == EINTR);
	if (fd)
		*fd = -1;
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(c), sizeof got);
			if (fd)
				*fd = got;
			else
				close(got);
		}
	}
	return n;
}

/* ---- the layout: lines of a maps file that overlap [lo, hi) ---- */

static char mapsbuf[1 << 18];

/*
 * read_maps reads the lines of path (/proc/self/maps, or /proc/PID/maps
 * for anoncheck conform) that overlap [lo, hi), in page slots from BASE.
 */
static void read_maps(struct ack *a, const char *path, unsigned long lo, unsigned long hi)
{
	size_t n = 0;
	ssize_t r;
	char *line;
	int fd = open(path, O_RDONLY);

	a->nvma = 0;
	if (fd < 0) {
		a->err = errno;
		return;
	}
	while ((r = read(fd, mapsbuf + n, sizeof mapsbuf - 1 - n)) > 0)
		n += r;
	if (r < 0)
		a->err = errno;
	else if (n == sizeof mapsbuf - 1)
		a->err = EFBIG;
	close(fd);
	mapsbuf[n] = 0;
	for (line = mapsbuf; *line;) {
		char *nl = strchr(line, '\n');
		unsigned long s, e;
		char perm[8];

		if (nl)
			*nl = 0;
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perm) == 3 && e > lo && s < hi) {
			struct got *g;

			if (a->nvma == MAXGOT) {
				a->err = E2BIG;
				return;
			}
			g = &a->vma[a->nvma];
			g->start = ((long)s - (long)BASE) / pagesize;
			g->end = ((long)e - (long)BASE) / pagesize;
			snprintf(g->perm, sizeof g->perm, "%s", perm);
			a->nvma++;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
}

static void read_layout(struct ack *a, unsigned long lo, unsigned long hi)
{
	read_maps(a, "/proc/self/maps", lo, hi);
}

/* ---- the pages: /proc/self/pagemap entries of the page slots ---- */

static void read_pagemap(struct ack *a)
{
	uint64_t e[PAGES];
	ssize_t n;
	int i, fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0) {
		a->pmerr = errno;
		return;
	}
	n = pread(fd, e, sizeof e, (off_t)(BASE / pagesize * sizeof e[0]));
	if (n != (ssize_t)sizeof e)
		a->pmerr = n < 0 ? errno : EIO;
	close(fd);
	if (a->pmerr)
		return;
	for (i = 0; i < PAGES; i++)
		a->pm[i] = (e[i] >> 63 & 1 ? PM_PRESENT : 0) | (e[i] >> 62 & 1 ? PM_SWAPPED : 0);
}

/* ---- a model process: performs the steps it is sent ---- */

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t probing;

static void on_fault(int sig)
{
	if (probing)
		siglongjmp(fault_jmp, 1);
	/* Not a probe: the access is retried and now kills the process. */
	signal(sig, SIG_DFL);
}

/* A write fault is a volatile byte store; SIGSEGV is -EFAULT, as the model says. */
static long do_write(int slot)
{
	volatile char *p = (volatile char *)(BASE + slot * pagesize);

	if (sigsetjmp(fault_jmp, 1)) {
		probing = 0;
		return -EFAULT;
	}
	probing = 1;
	*p = (char)(slot + 1);
	probing = 0;
	return 0;
}

/*
 * fork as clone(CLONE_PARENT|SIGCHLD): dup_mmap() as for fork(), but the
 * child's parent is the controller, which reaps it. glibc's fork() handlers
 * do not run in the child; it calls only plain system calls.
 */
static pid_t fork_sibling(void)
{
#if defined(__s390__) || defined(__CRIS__)
	return (pid_t)syscall(SYS_clone, 0, CLONE_PARENT | SIGCHLD, 0, 0, 0);
#else
	return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
#endif
}

/*
 * do_range_op performs the operations on a range that take no more than
 * their arguments: mmap (MAP_FIXED private anonymous), mprotect, madvise
 * and munmap. It returns 0 or -errno, -EADDRNOTAVAIL for an mmap placed
 * elsewhere, and -ENOSYS for any other operation.
 */
static long do_range_op(int op, void *addr, size_t len, int arg)
{
	switch (op) {
	case OP_MMAP: {
		void *r = mmap(addr, len, arg, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		return r == MAP_FAILED ? -errno : r == addr ? 0 : -EADDRNOTAVAIL;
	}
	case OP_MPROTECT:
		return mprotect(addr, len, arg) ? -errno : 0;
	case OP_MADVISE:
		return madvise(addr, len, arg) ? -errno : 0;
	case OP_MUNMAP:
		return munmap(addr, len) ? -errno : 0;
	}
	return -ENOSYS;
}

/*
 * do_fork_op forks a sibling for OP_FORK. fd is the child's channel, passed
 * with the command: the child keeps it as its only channel (*chan) and
 * reports its own pid; the parent closes it. It returns 0 or -errno, and
 * the pid in *pid.
 */
static long do_fork_op(int *chan, int fd, long *pid)
{
	pid_t p = fork_sibling();

	if (p == 0) {
		/* The child answers on its own channel only. */
		close(*chan);
		*chan = fd;
		*pid = getpid();
		return 0;
	}
	if (fd >= 0)
		close(fd);
	*pid = p;
	return p < 0 ? -errno : 0;
}

static void serve(int chan)
{
	for (;;) {
		struct cmd c;
		struct ack a;
		int fd;
		void *addr;
		size_t len;

		if (recv_msg(chan, &c, sizeof c, &fd) != (ssize_t)sizeof c)
			_exit(3); /* the controller is gone */
		memset(&a, 0, sizeof a);
		addr = (void *)(BASE + c.start * pagesize);
		len = (size_t)(c.end - c.start) * pagesize;
		switch (c.op) {
		case OP_WRITE:
			a.ret = do_write(c.start);
			break;
		case OP_FORK:
			a.ret = do_fork_op(&chan, fd, &a.pid);
			break;
		case OP_EXIT:
			_exit(0);
		default:
			a.ret = do_range_op(c.op, addr, len, c.arg);
		}
		read_layout(&a, BASE, BASE + PAGES * pagesize);
		if (c.op == OP_MADVISE && c.arg == MADV_PAGEOUT)
			read_pagemap(&a);
		if (send_msg(chan, &a, sizeof a, -1))
			_exit(3);
	}
}
