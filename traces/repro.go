package traces

import (
	_ "embed"
	"io"
	"strings"
)

// ReproBase is the address where a reproducer maps page slot 0 of the
// model; slot a is at ReproBase + a*page size. 32 TiB is far below where
// x86-64 and arm64 place mmap()s without a hint (just under the stack, near
// the top of the address space) and far above PIE executables and their
// heap, so nothing is mapped next to it; the program checks that.
const ReproBase = 0x200000000000

// ReproTimeout is how many seconds a reproducer runs before it gives up
// (exit 2), so that a hang cannot stall a CI job.
const ReproTimeout = 20

// reproPrelude opens a reproducer's fixed code, after the macros: the
// headers, and the types the step table uses. It, reproProcess and
// reproController are the code every program shares, real C files that
// TestReproFixedCode compiles on their own with a stand-in
// (testdata/repro_stub.c) for the parts WriteRepro writes from the trace.
//
//go:embed repro/prelude.h
var reproPrelude string

// reproProcess follows the step table: the messages between the controller
// and the processes, reading a process's layout and pagemap, and the loop
// in which a model process performs the steps it is sent.
//
//go:embed repro/process.c
var reproProcess string

// reproController ends the program: the controller, which sends each step
// to its process and compares the answer with the model's prediction, and
// main.
//
//go:embed repro/controller.c
var reproController string

// reproFaultMain ends a program whose trace has a step that needs an
// allocation to fail (--fail-alloc): the controller's main() (renamed)
// runs the steps before it, then this says why the program stops there.
const reproFaultMain = `#undef main

/* The next step of the trace needs fault injection: see the comment at the top. */
int main(void)
{
	int status = run_steps_before_fault();

	printf("%s\n", FAULT_STEP);
	return status ? status : 3;
}
`

// ReproParts returns the reproducer's fixed C code that other programs
// reuse (anoncheck conform's executor): the prelude (headers, operation
// codes, message types; it needs the macros BASE, PAGES and PROCS defined
// first) and the process part (messages over SOCK_SEQPACKET, the maps
// reader, the SIGSEGV probe, fork as clone(CLONE_PARENT), the loop of a
// model process).
func ReproParts() (prelude, process string) { return reproPrelude, reproProcess }

// ReproMremapParts returns the mremap pieces of the reproducer: the macros
// an mremap step needs (OP_MREMAP, MREMAP_ARG) and the case that performs
// it, written against a loop's c.arg, addr, len and a.ret, for another C
// program (conform's executor) to splice into its own loop.
func ReproMremapParts() (defines, mremapCase string) {
	var b strings.Builder
	reproMremapDefines(&b)
	return b.String(), reproMremap
}

// WriteRepro writes a C program (gcc, libc only) that performs t with real
// system calls on the running kernel. Each model process is a real
// process; a controller (not part of the model) sends each step to the
// process that performs it and waits for its answer, so the steps run in
// the trace's order. After each step the program compares the system
// call's return value with the model's and the process's /proc/self/maps
// lines inside the model's address range with the layout the model
// predicts, prints every difference, and exits 0 when there was none, 1
// when there were differences, 2 when it could not run the trace. Where
// the property concerns rmap, the live processes end with MADV_PAGEOUT
// and the program reports, from /proc/self/pagemap, which of the pages
// the model maps were paged out beside whether the model has rmap reach
// them; that report does not change the exit status.
//
// A step with an injected allocation failure (Op.Fail) is not run: the
// program runs the steps before it, says that it needs fault injection
// and how failslab could provide it, and exits 3 when those steps
// matched.
//
// A step on which the trace's variant oopses is expected to complete as
// it does under the nearest variant the patch is based on (v5.4 for a
// patch on the v5.4 table): that is what a kernel without the patch does.
func WriteRepro(w io.Writer, t *Trace) error {
	p, err := planRepro(t)
	if err != nil {
		return err
	}
	var header, defines, table strings.Builder
	p.writeHeader(&header)
	p.writeDefines(&defines)
	p.writeTable(&table)
	// The parts in the program's order, a blank line between each two.
	parts := []string{header.String(), defines.String(), reproPrelude, table.String(), reproProcessCode(t), reproController}
	if p.fault != nil {
		// The controller's main() runs the steps before the one that
		// needs fault injection; a main() of its own then says so.
		parts = []string{header.String(), defines.String(), reproPrelude, table.String(), reproProcessCode(t),
			"#define main run_steps_before_fault", reproController, reproFaultMain}
	}
	_, err = io.WriteString(w, strings.Join(parts, "\n"))
	return err
}
