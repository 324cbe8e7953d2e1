/*
 * A stand-in for the parts of a reproducer that WriteRepro writes from a
 * trace (the macros and the two step tables), placed around the fixed
 * files in ../repro in the order WriteRepro puts them, so that those files
 * compile as one program without a trace (TestReproFixedCode):
 *
 *	gcc -fsyntax-only -Wall -Werror traces/testdata/repro_stub.c
 */
#define BASE 0x200000000000UL
#define PAGES 2
#define PROCS 2
#define TIMEOUT 20
#define NSTEPS 2
#define NSETUP 1
#define NPAGEOUT 2
#define PREDICTS "v5.4 predicts"
#define MATCHED "The predictions are of Linux v5.4, as the model has that release."

#include "../repro/prelude.h"

static const struct step steps[NSTEPS + 1] = {
	{.label = "s1", .call = "mmap([0,2), rw)", .proc = 0, .child = -1,
	 .op = OP_MMAP, .start = 0, .end = 2, .arg = PROT_READ|PROT_WRITE, .expect = 0,
	 .nvma = 1, .vma = {{0, 2, "rw-p"}},
	 .model = "v5.4"},
	{.label = "1", .call = "fork()", .proc = 0, .child = 1,
	 .op = OP_FORK, .start = 0, .end = 0, .arg = 0, .expect = 0,
	 .nvma = 1, .vma = {{0, 2, "rw-p"}},
	 .model = "v5.4",
	 .ncvma = 1, .cvma = {{0, 2, "rw-p"}}},
	{.label = NULL},
};

static const struct step pageouts[NPAGEOUT + 1] = {
	{.label = "end", .call = "madvise([0,2), MADV_PAGEOUT)", .proc = 0, .child = -1,
	 .op = OP_MADVISE, .start = 0, .end = PAGES, .arg = MADV_PAGEOUT, .expect = 0,
	 .nvma = 1, .vma = {{0, 2, "rw-p"}},
	 .model = "v5.4"},
	{.label = "end", .call = "madvise([0,2), MADV_PAGEOUT)", .proc = 1, .child = -1,
	 .op = OP_MADVISE, .start = 0, .end = PAGES, .arg = MADV_PAGEOUT, .expect = 0,
	 .nvma = 1, .vma = {{0, 2, "rw-p"}},
	 .model = "v5.4"},
	{.label = NULL},
};

#include "../repro/process.c"
#include "../repro/controller.c"
