/* ---- the controller ---- */

static pid_t pids[PROCS];
static int chans[PROCS];
static int differences;
static int ran, ranpageouts; /* trace steps and final MADV_PAGEOUTs sent */
static int swap;             /* swap_configured() */
static int pages_as_predicted, pages_not; /* with swap: the pagemap check */

static const char *plural(int n)
{
	return n == 1 ? "" : "s";
}

static const char *errname(long e)
{
	static char buf[32];

	switch (e) {
	case 0:
		return "0";
	case -ENOMEM:
		return "-ENOMEM";
	case -EINVAL:
		return "-EINVAL";
	case -EAGAIN:
		return "-EAGAIN";
	case -EFAULT:
		return "-EFAULT";
	case -EPERM:
		return "-EPERM";
	case -EACCES:
		return "-EACCES";
	case -EEXIST:
		return "-EEXIST";
	case -ENOSYS:
		return "-ENOSYS";
	}
	snprintf(buf, sizeof buf, "%ld", e);
	return buf;
}

static const char *expected_text(const struct vma *v, int n)
{
	static char buf[1024];
	size_t off = 0;
	int i;

	buf[0] = 0;
	if (n == 0)
		return "(nothing mapped)";
	for (i = 0; i < n && off < sizeof buf; i++)
		off += snprintf(buf + off, sizeof buf - off, "%s[%d,%d) %s", i ? " " : "", v[i].start, v[i].end, v[i].perm);
	return buf;
}

static const char *got_text(const struct ack *a)
{
	static char buf[2048];
	size_t off = 0;
	int i;

	buf[0] = 0;
	if (a->nvma == 0)
		return "(nothing mapped)";
	for (i = 0; i < a->nvma && off < sizeof buf; i++)
		off += snprintf(buf + off, sizeof buf - off, "%s[%ld,%ld) %s", i ? " " : "", a->vma[i].start,
				a->vma[i].end, a->vma[i].perm);
	return buf;
}

static int same_layout(const struct vma *v, int n, const struct ack *a)
{
	int i;

	if (n != a->nvma)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].start != a->vma[i].start || v[i].end != a->vma[i].end || strcmp(v[i].perm, a->vma[i].perm))
			return 0;
	return 1;
}

static void stop_all(void)
{
	int p;

	for (p = 0; p < PROCS; p++) {
		if (pids[p] > 0) {
			kill(pids[p], SIGKILL);
			waitpid(pids[p], NULL, 0);
			pids[p] = 0;
		}
	}
}

static void setup_failed(const char *what, int err)
{
	printf("setup failed: %s: %s\n", what, strerror(err));
	fflush(stdout);
	stop_all();
	exit(2);
}

static void on_alarm(int sig)
{
	static const char msg[] = "timeout: the trace did not finish in time\n";
	int p;

	(void)sig;
	if (write(1, msg, sizeof msg - 1) < 0) {
		/* nothing more to say */
	}
	for (p = 0; p < PROCS; p++)
		if (pids[p] > 0)
			kill(pids[p], SIGKILL);
	_exit(2);
}

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", status);
}

/* A process stopped answering: report how it ended and forget it. */
static void lost(const struct step *s, int p)
{
	char how[128] = "gone";
	int status;

	if (waitpid(pids[p], &status, 0) == pids[p])
		describe_status(how, sizeof how, status);
	printf("step %s P%d %s: P%d died: %s\n", s->label, s->proc + 1, s->call, p + 1, how);
	close(chans[p]);
	pids[p] = 0;
	differences++;
}

/* Compares one answer with the prediction; who is "" or " of the child Pn". */
static int compare(const struct step *s, const struct ack *a, long expect, const struct vma *v, int n, const char *who)
{
	int bad = 0;

	if (a->err) {
		printf("step %s P%d %s: cannot read /proc/self/maps%s: %s\n", s->label, s->proc + 1, s->call, who,
		       strerror(a->err));
		fflush(stdout);
		stop_all();
		exit(2);
	}
	if (a->ret != expect) {
		printf("step %s P%d %s: returned %s", s->label, s->proc + 1, s->call, errname(a->ret));
		printf(", expected %s\n", errname(expect));
		differences++;
		bad = 1;
	}
	if (!same_layout(v, n, a)) {
		printf("step %s P%d %s: maps%s differ: expected %s", s->label, s->proc + 1, s->call, who, expected_text(v, n));
		printf(", got %s\n", got_text(a));
		differences++;
		bad = 1;
	}
	return bad;
}

/*
 * After a process's MADV_PAGEOUT: for each page the model maps, was it paged
 * out, and did the model have rmap reach it? Only a page mapped once is
 * reclaimed, through try_to_unmap()'s rmap walk, and only with swap. This
 * is reported, not counted as a difference.
 */
static void report_pages(const struct step *s, const struct ack *a)
{
	int i, p = s->proc + 1;

	if (a->pmerr) {
		printf("    P%d: cannot read /proc/self/pagemap (%s): whether its pages were paged out is unknown\n", p,
		       strerror(a->pmerr));
		return;
	}
	for (i = 0; i < PAGES; i++) {
		const struct mpage *m = &s->page[i];
		int present = a->pm[i] & PM_PRESENT, swapped = a->pm[i] & PM_SWAPPED;

		if (!m->mapcount) {
			if (present || swapped)
				printf("    P%d: page at slot %d %s, where the model maps none\n", p, i,
				       present ? "mapped" : "swapped out");
			continue;
		}
		if (!present && !swapped) {
			printf("    P%d: page at slot %d neither mapped nor swapped out, where the model maps one\n", p, i);
			continue;
		}
		if (m->mapcount > 1) {
			printf("    P%d: page at slot %d %s: shared by %d processes, which MADV_PAGEOUT leaves alone", p, i,
			       present ? "still mapped" : "paged out", m->mapcount);
			if (!m->reach)
				printf(" (%s's rmap-reachable predicts an rmap miss here, which this cannot show)", s->model);
			printf("\n");
			continue;
		}
		if (swap <= 0) {
			printf("    P%d: page at slot %d %s (%s predicts that rmap %s it)\n", p, i,
			       present ? "still mapped, not paged out" : "paged out", s->model,
			       m->reach ? "reaches" : "misses");
			continue;
		}
		if (present && !m->reach)
			printf("    P%d: page at slot %d still mapped after MADV_PAGEOUT: rmap did not reach it (what %s's "
			       "rmap-reachable predicts)\n", p, i, s->model);
		else if (!present && !m->reach)
			printf("    P%d: page at slot %d paged out by MADV_PAGEOUT: rmap reached it, though %s's rmap-reachable "
			       "predicts a miss (this kernel does not have the bug)\n", p, i, s->model);
		else if (!present)
			printf("    P%d: page at slot %d paged out by MADV_PAGEOUT: rmap reached it, as %s predicts\n", p, i,
			       s->model);
		else
			printf("    P%d: page at slot %d still mapped after MADV_PAGEOUT, though %s predicts that rmap reaches "
			       "it (reclaim also skips a page not yet on an LRU list, or when swap is full)\n", p, i, s->model);
		if ((present == 0) == (m->reach != 0))
			pages_as_predicted++;
		else
			pages_not++;
	}
}

/* run performs one step; it returns -1 when the trace cannot go on. */
static int run(const struct step *s)
{
	struct cmd c = {s->op, s->start, s->end, s->arg};
	struct ack a, ca;
	int p = s->proc, sv[2] = {-1, -1}, bad;

	if (pids[p] <= 0) {
		printf("step %s P%d %s: P%d is not running (an earlier step failed)\n", s->label, p + 1, s->call, p + 1);
		differences++;
		return -1;
	}
	if (s->op == OP_FORK && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		setup_failed("socketpair", errno);
	if (send_msg(chans[p], &c, sizeof c, sv[1])) {
		if (sv[0] >= 0) {
			close(sv[0]);
			close(sv[1]);
		}
		lost(s, p);
		return -1;
	}
	if (sv[1] >= 0)
		close(sv[1]);
	if (s->op == OP_MADVISE && s->arg == MADV_PAGEOUT)
		ranpageouts++;
	else
		ran++;
	if (s->op == OP_EXIT) {
		int status;
		char how[128];

		close(chans[p]);
		if (waitpid(pids[p], &status, 0) != pids[p])
			setup_failed("waitpid", errno);
		pids[p] = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			describe_status(how, sizeof how, status);
			printf("step %s P%d %s: the process %s, expected exit status 0\n", s->label, p + 1, s->call, how);
			differences++;
			return 0;
		}
		printf("step %-3s P%d %s = 0: reaped\n", s->label, p + 1, s->call);
		return 0;
	}
	if (recv_msg(chans[p], &a, sizeof a, NULL) != (ssize_t)sizeof a) {
		if (sv[0] >= 0)
			close(sv[0]);
		lost(s, p);
		return -1;
	}
	bad = compare(s, &a, s->expect, s->vma, s->nvma, "");
	if (s->op != OP_FORK) {
		if (!bad)
			printf("step %-3s P%d %s = %s, maps %s: as %s predicts\n", s->label, p + 1, s->call, errname(a.ret),
			       expected_text(s->vma, s->nvma), s->model);
		if (s->op == OP_MADVISE && s->arg == MADV_PAGEOUT)
			report_pages(s, &a);
		return 0;
	}
	if (a.ret < 0) {
		close(sv[0]);
		return -1; /* no child: the steps that need it cannot run */
	}
	pids[s->child] = (pid_t)a.pid;
	chans[s->child] = sv[0];
	if (recv_msg(sv[0], &ca, sizeof ca, NULL) != (ssize_t)sizeof ca) {
		lost(s, s->child);
		return -1;
	}
	{
		char who[32];

		snprintf(who, sizeof who, " of the child P%d", s->child + 1);
		bad |= compare(s, &ca, 0, s->cvma, s->ncvma, who);
	}
	if (!bad) {
		printf("step %-3s P%d %s = 0, maps %s", s->label, p + 1, s->call, expected_text(s->vma, s->nvma));
		printf("; child P%d maps %s: as %s predicts\n", s->child + 1, expected_text(s->cvma, s->ncvma), s->model);
	}
	return 0;
}

/* read_file reads up to len - 1 bytes of a small file into buf; -1 on error. */
static ssize_t read_file(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return (ssize_t)n;
}

/*
 * swap_configured: 0 when /proc/swaps lists no swap area beyond its header
 * or /proc/meminfo's SwapTotal is 0; 1 when there is swap; -1 when neither
 * file could be read.
 */
static int swap_configured(void)
{
	static char buf[1 << 14];
	int areas = -1;
	long total = -1;
	char *s;

	if (read_file("/proc/swaps", buf, sizeof buf) >= 0) {
		areas = 0;
		for (s = strchr(buf, '\n'); s && s[1]; s = strchr(s + 1, '\n'))
			areas++;
	}
	if (read_file("/proc/meminfo", buf, sizeof buf) >= 0 && (s = strstr(buf, "SwapTotal:")))
		if (sscanf(s, "SwapTotal: %ld", &total) != 1)
			total = -1;
	if (areas == 0 || total == 0)
		return 0;
	if (areas > 0 || total > 0)
		return 1;
	return -1;
}

int main(void)
{
	struct sigaction sa;
	struct ack probe;
	struct utsname uts;
	int sv[2], i, p, stopped = 0;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pagesize = sysconf(_SC_PAGESIZE);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fault;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(TIMEOUT);

	/* Nothing may be mapped in the range or next to it: a neighbour could merge. */
	memset(&probe, 0, sizeof probe);
	read_layout(&probe, BASE - pagesize, BASE + (PAGES + 1) * pagesize);
	if (probe.err)
		setup_failed("reading /proc/self/maps", probe.err);
	if (probe.nvma) {
		printf("setup failed: something is mapped at or next to [BASE, BASE + %d pages), in page slots: %s\n",
		       PAGES, got_text(&probe));
		return 2;
	}
	printf("page size %ld, BASE %#lx, %d page slots; %d trace step%s (%d setup, %d operation%s)", pagesize, BASE,
	       PAGES, NSTEPS, plural(NSTEPS), NSETUP, NSTEPS - NSETUP, plural(NSTEPS - NSETUP));
	if (NPAGEOUT > 0)
		printf(" and %d MADV_PAGEOUT%s at the end", NPAGEOUT, plural(NPAGEOUT));
	printf("\n");

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		setup_failed("socketpair", errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		setup_failed("fork", errno);
	if (pid == 0) {
		alarm(0);
		close(sv[0]);
		serve(sv[1]);
	}
	close(sv[1]);
	pids[0] = pid;
	chans[0] = sv[0];

	for (i = 0; i < NSTEPS; i++) {
		if (run(&steps[i]) < 0) {
			printf("stopped after step %s: the remaining steps need a process that is gone\n", steps[i].label);
			stopped = 1;
			break;
		}
	}
	if (!stopped && NPAGEOUT > 0) {
		swap = swap_configured();
		printf("MADV_PAGEOUT: %s\n",
		       swap > 0 ? "swap is configured: a page mapped once is unmapped through try_to_unmap()'s rmap walk, "
				  "and stays mapped if the walk misses it"
		       : swap == 0 ? "no swap is configured (/proc/swaps lists no swap area, or SwapTotal is 0): pageout "
				     "cannot move anonymous pages without swap, so no rmap walk runs and the pagemap check "
				     "below is informational only"
				   : "cannot read /proc/swaps or /proc/meminfo: whether pageout can move anonymous pages is "
				     "unknown, so the pagemap check below is informational only");
		for (i = 0; i < NPAGEOUT; i++)
			if (run(&pageouts[i]) < 0)
				break;
		if (swap > 0 && pages_as_predicted + pages_not > 0)
			printf("MADV_PAGEOUT: %d page%s paged out or kept as %s predicts, %d not (reported, not counted "
			       "as differences)\n", pages_as_predicted, plural(pages_as_predicted), pageouts[0].model, pages_not);
	}
	for (p = 0; p < PROCS; p++) {
		int status;
		char how[128];

		if (pids[p] <= 0)
			continue;
		{
			struct cmd c = {OP_EXIT, 0, 0, 0};

			send_msg(chans[p], &c, sizeof c, -1);
		}
		close(chans[p]);
		if (waitpid(pids[p], &status, 0) == pids[p] && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
			describe_status(how, sizeof how, status);
			printf("end: P%d %s\n", p + 1, how);
			differences++;
		}
		pids[p] = 0;
	}
	if (differences) {
		printf("%d difference(s) from the model in %d of %d trace step%s", differences, ran, NSTEPS, plural(NSTEPS));
		if (NPAGEOUT > 0)
			printf(" and %d of %d MADV_PAGEOUT%s at the end", ranpageouts, NPAGEOUT, plural(NPAGEOUT));
		printf(" run\n");
		return 1;
	}
	printf("%s (This kernel: %s.)\n", MATCHED, uname(&uts) == 0 ? uts.release : "unknown");
	if (ran == NSTEPS && ranpageouts == NPAGEOUT) {
		printf("all %d trace step%s", NSTEPS, plural(NSTEPS));
		if (NPAGEOUT > 0)
			printf(" and %d MADV_PAGEOUT%s at the end", NPAGEOUT, plural(NPAGEOUT));
	} else {
		printf("%d of %d trace step%s", ran, NSTEPS, plural(NSTEPS));
		if (NPAGEOUT > 0)
			printf(" and %d of %d MADV_PAGEOUT%s at the end", ranpageouts, NPAGEOUT, plural(NPAGEOUT));
	}
	printf(" ran as %s: the return values and /proc/self/maps layouts matched\n", PREDICTS);
	return 0;
}
