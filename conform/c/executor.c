/*
 * The executor of anoncheck conform. It follows the C reproducer's
 * prelude.h and process.c (traces/repro), which give it the headers, the
 * operation codes, the messages over SOCK_SEQPACKET (send_msg, recv_msg),
 * the SIGSEGV probe (on_fault, fault_jmp), fork as
 * clone(CLONE_PARENT) (fork_sibling) and the maps reader (read_maps); the
 * Go side (conform/executor.go) puts the three files together after the
 * macros BASE, PAGES, PROCS and TIMEOUT and compiles them once per run.
 *
 * It reads sequences of operations from stdin, runs each in a fresh tree
 * of processes (P1 forked from the executor, every later process a
 * sibling made by a process's fork()), and after every operation writes
 * to stdout what the kernel shows of each process slot: its
 * /proc/PID/maps lines inside [BASE, BASE + PAGES pages), the
 * /proc/PID/pagemap entry of each page slot, /proc/kpagecount of each
 * present page's PFN, and, when asked, the first eight bytes of each
 * present page as the process itself reads them (the content markers).
 *
 * The executor reads pagemap and kpagecount, which take no page
 * reference. It never reads another process's memory through
 * /proc/PID/mem: a read through get_user_pages() marks the page accessed,
 * which can leave it in a per-CPU LRU batch holding a reference, and
 * do_wp_page() would then copy a page the model reuses.
 */

#include <sys/resource.h>

#define CONFORM_HELLO 0x4f4c4548u /* "HELO" */
#define CONFORM_SEQ 0x51455343u   /* "CSEQ" */
#define CONFORM_OBS 0x5342434fu   /* "OCBS" */
#define MAXV (PAGES + 2)
#define OP_PROBE 100 /* not an operation: read the content markers */

/* Flags of a sequence. */
#define F_MARKERS 1 /* processes report the content markers after each step */

/* A sequence's header, then nops struct sop. */
struct shdr {
	uint32_t magic, nops, flags, pages;
};

/* One operation: child is a fork's new slot, marker a write's value. */
struct sop {
	int32_t op, proc, start, end, arg, child;
	uint64_t marker;
};

/* A VMA inside the test region, in page slots; perm bits r=1 w=2 x=4 p=8. */
struct ovma {
	int32_t start, end, perm, pad;
};

/* What the kernel shows of one process slot after a step. */
struct pobs {
	int32_t live;  /* 1: the process exists */
	int32_t nvma;  /* VMAs inside the region */
	int32_t err;   /* errno of reading maps or pagemap; 0 if it worked */
	int32_t pad;
	struct ovma vma[MAXV];
	uint64_t pm[PAGES];      /* raw /proc/PID/pagemap entries */
	uint64_t content[PAGES]; /* F_MARKERS: the page's first 8 bytes; 0 if absent or unreadable */
	int64_t kcount[PAGES];   /* /proc/kpagecount of a present page's PFN; -1 if unknown */
};

/* Status of a step. */
enum { S_OK, S_DIED, S_GONE, S_TIMEOUT };

/* What the kernel did in one step. */
struct sobs {
	uint32_t magic;
	int32_t status; /* S_*: S_DIED: the process died (ret is its wait status) */
	int64_t ret;    /* the call's return value: 0 or -errno */
	int32_t fault;  /* a write: 1 it faulted, 0 it did not, -1 unknown */
	int32_t pad;
	struct pobs p[PROCS];
};

/* Sent at start: what this machine can show. */
struct hello {
	uint32_t magic;
	int32_t pagesize;
	int32_t pfn;       /* 1: pagemap shows PFNs to this process */
	int32_t kpagecount; /* 1: /proc/kpagecount is readable */
	int32_t clear;     /* 1: nothing is mapped at or next to the region */
	int32_t cpu;       /* the CPU the executor is pinned to; -1: not pinned */
	char release[128];
	char why[256]; /* why a capability is missing, or what is mapped */
};

/* The Go side (conform/executor.go) decodes these records by these sizes. */
_Static_assert(sizeof(struct pobs) == 16 + MAXV * 16 + 3 * 8 * PAGES, "struct pobs");
_Static_assert(sizeof(struct sobs) == 24 + PROCS * sizeof(struct pobs), "struct sobs");
_Static_assert(sizeof(struct sop) == 32, "struct sop");
_Static_assert(sizeof(struct hello) == 24 + 128 + 256, "struct hello");

/* A command to a process, and its answer. */
struct ccmd {
	int32_t op, start, end, arg;
	uint64_t marker;
	uint32_t present; /* OP_PROBE: bit a set when slot a is present */
	uint32_t pad;
};

struct creply {
	int64_t ret;
	int64_t pid;
	int32_t fault;
	int32_t pad;
	uint64_t content[PAGES];
};

/* ---- a process ---- */

static struct rusage ru[2];

/*
 * A write to one page slot: the marker stored in its first eight bytes,
 * between two getrusage() calls that tell whether the store faulted.
 * Everything else this writes (the jump buffer, the flags, ru) is written
 * before the first call, so that a copy-on-write fault on this program's
 * own data is not counted.
 */
static long do_mark(int slot, uint64_t marker, int32_t *fault)
{
	volatile uint64_t *p = (volatile uint64_t *)(BASE + slot * pagesize);
	long before;

	memset(ru, 0, sizeof ru);
	*fault = -1;
	if (sigsetjmp(fault_jmp, 1)) {
		probing = 0;
		return -EFAULT;
	}
	probing = 1;
	syscall(SYS_getrusage, RUSAGE_SELF, &ru[0]);
	*p = marker;
	syscall(SYS_getrusage, RUSAGE_SELF, &ru[1]);
	probing = 0;
	before = ru[0].ru_minflt + ru[0].ru_majflt;
	*fault = ru[1].ru_minflt + ru[1].ru_majflt > before;
	return 0;
}

/* Reads the marker of a present page slot; 0 when it cannot be read (PROT_NONE). */
static uint64_t read_mark(int slot)
{
	volatile uint64_t *p = (volatile uint64_t *)(BASE + slot * pagesize);
	uint64_t v;

	if (sigsetjmp(fault_jmp, 1)) {
		probing = 0;
		return 0;
	}
	probing = 1;
	v = *p;
	probing = 0;
	return v;
}

static void cserve(int chan)
{
	for (;;) {
		struct ccmd c;
		struct creply a;
		int fd, i;
		void *addr;
		size_t len;

		if (recv_msg(chan, &c, sizeof c, &fd) != (ssize_t)sizeof c)
			_exit(3); /* the executor is gone */
		memset(&a, 0, sizeof a);
		a.fault = -1;
		addr = (void *)(BASE + c.start * pagesize);
		len = (size_t)(c.end - c.start) * pagesize;
		switch (c.op) {
		case OP_WRITE:
			a.ret = do_mark(c.start, c.marker, &a.fault);
			break;
		case OP_FORK: { /* process.c */
			long pid;

			a.ret = do_fork_op(&chan, fd, &pid);
			a.pid = pid;
			break;
		}
		case OP_EXIT:
			_exit(0);
		case OP_PROBE:
			for (i = 0; i < PAGES; i++)
				if (c.present >> i & 1)
					a.content[i] = read_mark(i);
			break;
		default:
			a.ret = do_range_op(c.op, addr, len, c.arg); /* process.c */
		}
		if (send_msg(chan, &a, sizeof a, -1))
			_exit(3);
	}
}

/* ---- the executor ---- */

static pid_t epids[PROCS];
static int echans[PROCS];
static int epm[PROCS] = {-1, -1, -1, -1}; /* /proc/PID/pagemap */
static int kpc = -1;                       /* /proc/kpagecount */
static struct ack scratch;

static void die(const char *what, int err)
{
	fprintf(stderr, "conform executor: %s: %s\n", what, strerror(err));
	exit(2);
}

static void read_full(void *buf, size_t len)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(0, (char *)buf + n, len - n);

		if (r == 0) {
			if (n == 0)
				exit(0); /* no more sequences */
			die("stdin", EPIPE);
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("reading stdin", errno);
		}
		n += r;
	}
}

static char outbuf[1 << 20];
static size_t outlen;

static void flush_out(void)
{
	size_t n = 0;

	while (n < outlen) {
		ssize_t r = write(1, outbuf + n, outlen - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			exit(3); /* the reader is gone */
		}
		n += r;
	}
	outlen = 0;
}

static void emit(const void *p, size_t len)
{
	if (outlen + len > sizeof outbuf)
		flush_out();
	memcpy(outbuf + outlen, p, len);
	outlen += len;
}

static void forget(int q)
{
	if (echans[q] >= 0)
		close(echans[q]);
	if (epm[q] >= 0)
		close(epm[q]);
	echans[q] = epm[q] = -1;
	epids[q] = 0;
}

static void kill_all(void)
{
	int q;

	for (q = 0; q < PROCS; q++) {
		if (epids[q] > 0) {
			kill(epids[q], SIGKILL);
			waitpid(epids[q], NULL, 0);
		}
		forget(q);
	}
}

static void on_timeout(int sig)
{
	static const char msg[] = "conform executor: a sequence did not finish in time\n";
	int q;

	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to say */
	}
	for (q = 0; q < PROCS; q++)
		if (epids[q] > 0)
			kill(epids[q], SIGKILL);
	_exit(2);
}

static void adopt(int q, pid_t pid, int chan)
{
	char path[64];

	epids[q] = pid;
	echans[q] = chan;
	snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
	epm[q] = open(path, O_RDONLY);
}

static int perm_bits(const char *perm)
{
	return (perm[0] == 'r' ? 1 : 0) | (perm[1] == 'w' ? 2 : 0) | (perm[2] == 'x' ? 4 : 0) | (perm[3] == 'p' ? 8 : 0);
}

/* observe fills o->p with what each live process slot shows. */
static void observe(struct sobs *o, int pages, int markers)
{
	int q, i;

	for (q = 0; q < PROCS; q++) {
		struct pobs *p = &o->p[q];
		char path[64];

		for (i = 0; i < PAGES; i++)
			p->kcount[i] = -1;
		if (epids[q] <= 0)
			continue;
		p->live = 1;
		snprintf(path, sizeof path, "/proc/%d/maps", (int)epids[q]);
		memset(&scratch, 0, sizeof scratch);
		read_maps(&scratch, path, BASE, BASE + pages * pagesize);
		if (scratch.err) {
			p->err = scratch.err;
			continue;
		}
		for (i = 0; i < scratch.nvma && i < MAXV; i++) {
			p->vma[i].start = (int32_t)scratch.vma[i].start;
			p->vma[i].end = (int32_t)scratch.vma[i].end;
			p->vma[i].perm = perm_bits(scratch.vma[i].perm);
		}
		p->nvma = scratch.nvma < MAXV ? scratch.nvma : MAXV;
		if (scratch.nvma > MAXV)
			p->err = E2BIG;
		if (epm[q] < 0) {
			p->err = EACCES;
			continue;
		}
		if (pread(epm[q], p->pm, pages * sizeof p->pm[0], (off_t)(BASE / pagesize * sizeof p->pm[0])) !=
		    (ssize_t)(pages * sizeof p->pm[0])) {
			p->err = errno ? errno : EIO;
			continue;
		}
		for (i = 0; i < pages; i++) {
			uint64_t pfn = p->pm[i] & ((1ULL << 55) - 1);
			uint64_t cnt;

			if (!(p->pm[i] >> 63 & 1) || !pfn || kpc < 0)
				continue;
			if (pread(kpc, &cnt, sizeof cnt, (off_t)(pfn * sizeof cnt)) == (ssize_t)sizeof cnt)
				p->kcount[i] = (int64_t)cnt;
		}
		if (markers) {
			struct ccmd c;
			struct creply r;

			memset(&c, 0, sizeof c);
			c.op = OP_PROBE;
			for (i = 0; i < pages; i++)
				if (p->pm[i] >> 63 & 1)
					c.present |= 1u << i;
			if (send_msg(echans[q], &c, sizeof c, -1) ||
			    recv_msg(echans[q], &r, sizeof r, NULL) != (ssize_t)sizeof r) {
				p->err = EPIPE;
				continue;
			}
			memcpy(p->content, r.content, sizeof p->content);
		}
	}
}

/* A process stopped answering: how did it end? */
static int64_t reap_lost(int q)
{
	int status = 0;

	if (waitpid(epids[q], &status, 0) != epids[q])
		status = -1;
	forget(q);
	return status;
}

/* step performs one operation and fills o (but for the observation). */
static void step(const struct sop *s, struct sobs *o)
{
	struct ccmd c;
	struct creply a;
	int p = s->proc, sv[2] = {-1, -1};

	memset(&c, 0, sizeof c);
	c.op = s->op;
	c.start = s->start;
	c.end = s->end;
	c.arg = s->arg;
	c.marker = s->marker;
	o->fault = -1;
	if (p < 0 || p >= PROCS || epids[p] <= 0) {
		o->status = S_GONE;
		return;
	}
	if (s->op == OP_FORK && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair", errno);
	if (send_msg(echans[p], &c, sizeof c, sv[1])) {
		if (sv[0] >= 0) {
			close(sv[0]);
			close(sv[1]);
		}
		o->status = S_DIED;
		o->ret = reap_lost(p);
		return;
	}
	if (sv[1] >= 0)
		close(sv[1]);
	if (s->op == OP_EXIT) {
		int status;

		if (waitpid(epids[p], &status, 0) != epids[p])
			die("waitpid", errno);
		forget(p);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			o->status = S_DIED;
			o->ret = status;
		}
		return;
	}
	if (recv_msg(echans[p], &a, sizeof a, NULL) != (ssize_t)sizeof a) {
		if (sv[0] >= 0)
			close(sv[0]);
		o->status = S_DIED;
		o->ret = reap_lost(p);
		return;
	}
	o->ret = a.ret;
	o->fault = a.fault;
	if (s->op != OP_FORK)
		return;
	if (a.ret < 0) {
		close(sv[0]);
		return;
	}
	if (s->child < 0 || s->child >= PROCS || epids[s->child] > 0) {
		kill((pid_t)a.pid, SIGKILL);
		waitpid((pid_t)a.pid, NULL, 0);
		close(sv[0]);
		o->status = S_GONE;
		return;
	}
	adopt(s->child, (pid_t)a.pid, sv[0]);
	{
		struct creply ca;

		if (recv_msg(sv[0], &ca, sizeof ca, NULL) != (ssize_t)sizeof ca) {
			o->status = S_DIED;
			o->ret = reap_lost(s->child);
		}
	}
}

static struct sop ops[4096];

static void run_sequence(void)
{
	struct shdr h;
	struct sobs o;
	uint32_t i;
	int sv[2];
	pid_t pid;

	read_full(&h, sizeof h);
	if (h.magic != CONFORM_SEQ || h.nops > sizeof ops / sizeof ops[0] || h.pages < 1 || h.pages > PAGES) {
		fprintf(stderr, "conform executor: bad sequence header\n");
		exit(2);
	}
	read_full(ops, h.nops * sizeof ops[0]);
	alarm(TIMEOUT);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair", errno);
	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		int q, null = open("/dev/null", O_RDWR);

		alarm(0);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			close(null);
		}
		close(sv[0]);
		for (q = 0; q < PROCS; q++) {
			if (echans[q] >= 0)
				close(echans[q]);
			if (epm[q] >= 0)
				close(epm[q]);
		}
		if (kpc >= 0)
			close(kpc);
		cserve(sv[1]);
	}
	close(sv[1]);
	adopt(0, pid, sv[0]);
	for (i = 0; i < h.nops; i++) {
		memset(&o, 0, sizeof o);
		o.magic = CONFORM_OBS;
		step(&ops[i], &o);
		observe(&o, (int)h.pages, h.flags & F_MARKERS);
		emit(&o, sizeof o);
	}
	kill_all();
	alarm(0);
	flush_out();
}

/* probe_pfn: does pagemap show this process its own PFNs? */
static int probe_pfn(char *why, size_t len)
{
	uint64_t e = 0;
	volatile char *p = mmap(NULL, pagesize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd, ok = 0;

	if (p == MAP_FAILED) {
		snprintf(why, len, "mmap: %s", strerror(errno));
		return 0;
	}
	*p = 1;
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		snprintf(why, len, "/proc/self/pagemap: %s", strerror(errno));
	else if (pread(fd, &e, sizeof e, (off_t)((unsigned long)p / pagesize * sizeof e)) != (ssize_t)sizeof e)
		snprintf(why, len, "/proc/self/pagemap: %s", strerror(errno ? errno : EIO));
	else if (!(e >> 63 & 1))
		snprintf(why, len, "/proc/self/pagemap: a page just written is not present");
	else if (!(e & ((1ULL << 55) - 1)))
		snprintf(why, len, "/proc/self/pagemap shows PFN 0: PFNs need CAP_SYS_ADMIN");
	else
		ok = 1;
	if (fd >= 0)
		close(fd);
	munmap((void *)p, pagesize);
	return ok;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct hello h;
	struct utsname uts;
	int q, cpu = argc > 1 ? atoi(argv[1]) : -1;

	pagesize = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fault;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = on_timeout;
	sigaction(SIGALRM, &sa, NULL);
	for (q = 0; q < PROCS; q++)
		echans[q] = epm[q] = -1;

	memset(&h, 0, sizeof h);
	h.magic = CONFORM_HELLO;
	h.pagesize = (int32_t)pagesize;
	h.cpu = -1;
	if (cpu >= 0) {
		/*
		 * Every process of a sequence runs on this CPU, so the per-CPU
		 * LRU batch that holds a new page's reference is the one
		 * lru_add_drain() in wp_can_reuse_anon_folio() drains.
		 */
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) == 0)
			h.cpu = cpu;
	}
	if (uname(&uts) == 0)
		snprintf(h.release, sizeof h.release, "%.64s %.60s", uts.release, uts.machine);
	h.pfn = probe_pfn(h.why, sizeof h.why);
	kpc = open("/proc/kpagecount", O_RDONLY);
	h.kpagecount = kpc >= 0;
	memset(&scratch, 0, sizeof scratch);
	read_maps(&scratch, "/proc/self/maps", BASE - pagesize, BASE + (PAGES + 1) * pagesize);
	h.clear = scratch.err == 0 && scratch.nvma == 0;
	if (!h.clear)
		snprintf(h.why, sizeof h.why, "something is mapped at or next to the test region (%d VMAs; errno %d)",
			 scratch.nvma, scratch.err);
	emit(&h, sizeof h);
	flush_out();
	if (!h.clear)
		return 2;
	for (;;)
		run_sequence();
}
