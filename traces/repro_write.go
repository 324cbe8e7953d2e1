package traces

import (
	"fmt"
	"regexp"
	"strings"

	"anoncheck/transitions"
)

// reproKnownDifferences documents, in every program, the later kernel
// changes that make a current kernel merge VMAs where a model of an older
// one does not. They were found by running random traces on Linux 6.18:
// every layout there matched the v6.1 model with the last two changes
// applied.
var reproKnownDifferences = []string{
	"Known differences: later kernels merge VMAs more often than the v5.x",
	"models, so on them a trace may show 'maps differ' lines with fewer,",
	"larger VMAs than predicted, from these changes (not bugs):",
	"- \"mm: don't prepare anon_vma if vma has VM_WIPEONFORK\" (v5.7): a",
	"  VM_WIPEONFORK VMA gets no anon_vma at fork (modelled from v5.7 on);",
	"- \"mm/mprotect: allow unfaulted VMAs to be unaccounted on mprotect()\"",
	"  (Lorenzo Stoakes, 2023): mprotect() making a private VMA that has no",
	"  anon_vma read-only drops VM_ACCOUNT, so it can merge with read-only",
	"  VMAs never charged;",
	"- 879bca0a2c4f \"mm/vma: fix incorrectly disallowed anonymous VMA",
	"  merges\" (2025): a VMA with an anon_vma that mprotect() or madvise()",
	"  changes merges into a neighbour with none (unless it is a fork",
	"  child's).",
}

// cErrno renders a return value as C: 0, -ENOMEM, ...
func cErrno(e int) string {
	if e == transitions.EOOPS {
		return fmt.Sprint(e)
	}
	return transitions.ErrnoName(e)
}

// cString quotes s as a C string literal.
func cString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// wrap breaks text into lines of at most width bytes at spaces (a longer
// word gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(text) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	return append(lines, cur)
}

// comment makes s safe inside a C block comment.
func comment(s string) string { return strings.ReplaceAll(s, "*/", "* /") }

// layoutText renders a layout as the program prints it: "[0,1) r--p [1,2) rw-p".
func layoutText(l []reproVMA) string {
	if len(l) == 0 {
		return "(nothing mapped)"
	}
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = fmt.Sprintf("[%d,%d) %s", v.start, v.end, v.perm)
	}
	return strings.Join(parts, " ")
}

// cLayout renders a layout as designated initializers of a count field
// and a struct vma[PAGES] field: ".nvma = 1, .vma = {{0, 2, "rw-p"}}".
func cLayout(count, array string, l []reproVMA) string {
	if len(l) == 0 {
		return fmt.Sprintf(".%s = 0", count)
	}
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = fmt.Sprintf("{%d, %d, %s}", v.start, v.end, cString(v.perm))
	}
	return fmt.Sprintf(".%s = %d, .%s = {%s}", count, len(l), array, strings.Join(parts, ", "))
}

// writeHeader writes the program's opening comment: what the trace is,
// each step with its kernel path and expected outcome, the final
// pageouts, the known differences of later kernels, and how to build and
// run it.
func (p *reproPlan) writeHeader(b *strings.Builder) {
	t := p.t
	line := func(format string, args ...any) {
		s := comment(fmt.Sprintf(format, args...))
		if s == "" {
			b.WriteString(" *\n")
			return
		}
		b.WriteString(" * " + s + "\n")
	}
	b.WriteString("/*\n")
	if t.Property != nil {
		line("anoncheck repro: %s, property %s, %d operation(s) after setup", t.Variant.Name, t.Property.Name, t.Depth())
	} else {
		line("anoncheck repro: a trace under %s, %d operation(s) after setup", t.Variant.Name, t.Depth())
	}
	line("")
	wrapped := func(indent, text string) {
		for _, l := range wrap(text, 72-len(indent)) {
			line("%s%s", indent, l)
			indent = strings.Repeat(" ", len(indent))
		}
	}
	wrapped("variant:  ", t.Variant.Name)
	wrapped("follows:  ", t.Variant.Follows)
	if t.Property != nil {
		wrapped("property: ", t.Property.Name+": "+t.Property.Statement)
		wrapped("failure:  ", t.Property.Failure)
	}
	line("scope:    pages=%d procs=%d", t.Scope.Pages, t.Scope.Procs)
	line("")
	line("Model page slot a is the page at BASE + a * page size (BASE = %#x).", ReproBase)
	line("Each model process Pn is a real process. A controller, not part of the")
	line("model, sends each step to the process that performs it and waits for")
	line("its answer, so the steps run in the trace's order. fork is")
	line("clone(CLONE_PARENT|SIGCHLD): the same copy_mm() -> dup_mmap() as")
	line("fork(), with the controller as parent so that it reaps every process.")
	line("After each step the program compares the return value and the")
	line("/proc/self/maps lines inside [BASE, BASE + %d pages) of the process", t.Scope.Pages)
	line("(and of a fork's child) with the model's prediction, in page slots.")
	line("")
	line("Steps (sN: setup, building P1's initial layout), each with the kernel")
	line("call path the model took and what the program expects:")
	for _, rs := range p.steps {
		st := rs.st
		line("")
		head := fmt.Sprintf("%-4s %s", rs.label+".", st.Op)
		if rs.child >= 0 {
			head += " -> " + transitions.ProcName(uint8(rs.child))
		}
		line("%s", head)
		for _, c := range st.Calls {
			line("       %s%s", strings.Repeat("  ", c.Depth), c.Name)
		}
		if rs.base != nil {
			wrapped("     ", fmt.Sprintf("%s stops here (%s); a kernel without the patch completes the call as %s does:",
				t.Variant.Name, faultName(&st.After), rs.baseName))
		}
		exp := fmt.Sprintf("     expect %s", cErrno(rs.expect))
		if st.Op.Kind != transitions.OpExit {
			exp += fmt.Sprintf("; %s maps %s", transitions.ProcName(st.Op.Proc), layoutText(rs.layout))
		}
		line("%s", exp)
		if rs.child >= 0 {
			line("     %s maps %s", transitions.ProcName(uint8(rs.child)), layoutText(rs.childLayout))
		}
	}
	if f := p.fault; f != nil {
		line("")
		line("%-4s %s", f.label+".", f.st.Syscall())
		for _, c := range f.st.Calls {
			line("       %s%s", strings.Repeat("  ", c.Depth), c.Name)
		}
		line("")
		for _, l := range p.faultText() {
			line("%s", l)
		}
	}
	if t.Skipped > 0 {
		line("")
		line("The model stopped at the oops: the trace's last %d operation(s) are", t.Skipped)
		line("not part of this program.")
	}
	if len(p.pageout) > 0 {
		line("")
		line("At the end each live process calls madvise(BASE, %d pages, MADV_PAGEOUT),", t.Scope.Pages)
		line("which reclaims the pages it alone maps through try_to_unmap()'s rmap")
		line("walk when the kernel has swap: a page the walk reaches is unmapped")
		line("and swapped out, one it misses stays mapped. Pages shared with")
		line("another process are left alone, and without swap no anonymous page")
		line("can be paged out (the program says which). The process then reads")
		line("/proc/self/pagemap (bit 63 present, bit 62 swapped) and the program")
		line("prints, for each page the model maps, whether it was paged out")
		line("beside what %s predicts for it (below). These lines", p.predictor)
		line("do not change the exit status: reclaim may also skip a page for")
		line("reasons the model does not see (not yet on an LRU list, swap full).")
		for _, f := range p.pageout {
			line("")
			line("end. madvise(%s, [0,%d), MADV_PAGEOUT)", transitions.ProcName(uint8(f.proc)), t.Scope.Pages)
			line("     expect %s; %s maps %s", cErrno(f.expect), transitions.ProcName(uint8(f.proc)), layoutText(f.layout))
			for a, pg := range f.pages {
				switch {
				case pg.mapcount == 0:
					continue
				case pg.mapcount > 1:
					line("     slot %d: shared by %d processes: stays mapped", a, pg.mapcount)
				case pg.reach:
					line("     slot %d: the rmap walk reaches it: paged out when there is swap", a)
				default:
					line("     slot %d: the rmap walk misses it (rmap-reachable fails): stays mapped", a)
				}
			}
		}
	}
	line("")
	line("A buggy variant's failure (oops, warning, rmap miss) shows only on a")
	line("kernel carrying that patch. On any other kernel, such as a current")
	line("one, the program is expected to run cleanly and match every layout.")
	line("")
	for _, l := range reproKnownDifferences {
		line("%s", l)
	}
	line("")
	line("Build and run: gcc -Wall -O1 -o repro repro.c && ./repro")
	line("Exit status: 0 every step ran and matched the model (the return value")
	line("and the layout); 1 a difference was found (each printed); 2 the")
	line("program could not run the trace (setup failure or timeout after %d s).", ReproTimeout)
	if p.fault != nil {
		line("3: every step before step %s ran and matched, and step %s needs the", p.fault.label, p.fault.label)
		line("fault injection described above, which this program does not do.")
	}
	b.WriteString(" */\n")
}

// faultText says, for the header comment and the program's last words,
// why the program stops before the fault step and how failslab could
// make that allocation fail.
func (p *reproPlan) faultText() []string {
	f := p.fault
	st := f.st
	site := st.Injected
	text := fmt.Sprintf("Step %s needs fault injection: the trace makes allocation %d of %s "+
		"(of the anon_vma, anon_vma_chain, vm_area_struct and maple-node allocations it makes, in the kernel's order) fail, "+
		"the %s() that is the call's allocation number %d from the %s slab cache, and follows the kernel's "+
		"unwind code from there. This program does not inject that failure and does not pretend to: it runs "+
		"the %d step(s) before it, compares them with the model, and stops; the %d step(s) from there on are not run. "+
		"On a kernel built with CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (and booted with slab_nomerge, so "+
		"that %s is a cache of its own), failslab can make it fail: in /sys/kernel/debug/failslab set cache-filter to Y "+
		"and write 1 to /sys/kernel/slab/%s/failslab, set ignore-gfp-wait to N (the allocation may sleep), "+
		"task-filter to Y, probability to 100 and times to 1, and use interval (or space) to pick the call's "+
		"allocation %d from that cache; then write 1 to /proc/self/make-it-fail in %s before it makes the call "+
		"(/proc/thread-self/fail-nth does the same per call but counts every fault-injection point).",
		f.label, st.Op.Fail, st.Op.Call(), site, st.InjectedNth, site.Cache(), len(p.steps), f.left,
		site.Cache(), site.Cache(), st.InjectedNth, transitions.ProcName(st.Op.Proc))
	if site == transitions.AllocMapleNodes {
		text += " mas_preallocate() takes the nodes a store may need at once (6.1: kmem_cache_alloc_bulk(); 6.18: " +
			"from the cache's sheaves when it needs more than one, which failslab does not see), and the model counts " +
			"that as one allocation: failslab can make it fail only where it is a single node or a bulk request, and " +
			"maple_node allocations elsewhere in the step shift the count."
	}
	if site == transitions.AllocMapleStore {
		text += " mas_store_gfp() first tries without sleeping and retries with GFP_KERNEL: the model counts the two " +
			"attempts as one allocation that fails when both do, so failslab must fail both (times 2)."
	}
	if site == transitions.AllocAnonVMAChain {
		text += " anon_vma_clone() retries a failed GFP_NOWAIT anon_vma_chain allocation with GFP_KERNEL: the model " +
			"counts the two attempts as one allocation that fails when both do, so failslab must fail both (times 2)."
	}
	return wrap(text, 72)
}

// writeDefines writes the macros the fixed code reads: the address range,
// the scope, the timeout, the counts of steps and pageouts, and whose
// predictions they are.
func (p *reproPlan) writeDefines(b *strings.Builder) {
	fmt.Fprintf(b, "#define BASE 0x%xUL\n", ReproBase)
	fmt.Fprintf(b, "#define PAGES %d /* page slots of the model's address space */\n", p.t.Scope.Pages)
	fmt.Fprintf(b, "#define PROCS %d /* process slots */\n", p.t.Scope.Procs)
	fmt.Fprintf(b, "#define TIMEOUT %d /* seconds */\n", ReproTimeout)
	fmt.Fprintf(b, "#define NSTEPS %d /* the trace's steps, setup included */\n", len(p.steps))
	fmt.Fprintf(b, "#define NSETUP %d /* of which setup */\n", p.setup)
	fmt.Fprintf(b, "#define NPAGEOUT %d /* the MADV_PAGEOUTs at the end, one per live process */\n", len(p.pageout))
	fmt.Fprintf(b, "#define PREDICTS %s /* whose predictions the steps expect */\n", cString(p.predicts()))
	fmt.Fprintf(b, "#define MATCHED %s /* what a run that matched every step shows, and what not */\n", cString(p.matched()))
	if reproHasMremap(p.t) {
		reproMremapDefines(b)
	}
	if f := p.fault; f != nil {
		fmt.Fprintf(b, "#define FAULT_STEP %s /* the step that needs an allocation to fail */\n",
			cString(fmt.Sprintf("step %s %s: needs fault injection (failslab), which this program does not do: it stops here, "+
				"%d step(s) not run; see the comment at the top", f.label, f.st.Syscall(), f.left)))
	}
}

// releaseName matches the variants that model a kernel release (v5.4,
// v5.5-rc5) rather than a patch or a tree carrying one.
var releaseName = regexp.MustCompile(`^v[0-9]+\.[0-9]+(\.[0-9]+)?(-rc[0-9]+)?$`)

// matched says what a run in which every step matched shows: the return
// values and layouts the model predicts, which is not the bug. A patch's
// bug shows only on a kernel carrying the patch; a release's predictions
// are of that release.
func (p *reproPlan) matched() string {
	v := p.t.Variant
	bug := ""
	if p.t.Property != nil && !p.t.Holds() {
		bug = fmt.Sprintf("%s's %s violation", v.Name, p.t.Property.Name)
	}
	if releaseName.MatchString(v.Name) {
		s := fmt.Sprintf("The predictions are of Linux %s, as the model has that release", v.Name)
		if bug != "" {
			s += fmt.Sprintf("; matching layouts do not show %s, which is in the anon_vma bookkeeping they do not reveal", bug)
		}
		return s + "."
	}
	if bug != "" {
		return fmt.Sprintf("Matching layouts are not the bug reproducing: %s is in the anon_vma bookkeeping they do not reveal, "+
			"and happens only on a kernel carrying the patch %s models.", bug, v.Name)
	}
	return fmt.Sprintf("%s models a patch: what it changes shows only on a kernel carrying it.", v.Name)
}

// predicts names whose predictions the program expects: "v5.5-rc5
// predicts", or, when the trace's variant stops at a step, "linux-next-20191008
// predicts; step 1, where linux-next-20191008 stops, as v5.4 predicts".
func (p *reproPlan) predicts() string {
	name := p.t.Variant.Name
	s := name + " predicts"
	for _, rs := range p.steps {
		if rs.base != nil {
			s += fmt.Sprintf("; step %s, where %s stops, as %s predicts", rs.label, name, rs.baseName)
		}
	}
	if p.predictor != name && len(p.pageout) > 0 {
		s += fmt.Sprintf("; the MADV_PAGEOUTs as %s predicts", p.predictor)
	}
	return s
}

// writeTable writes the step table and the final pageouts' table, each
// ended by an entry with a NULL label.
func (p *reproPlan) writeTable(b *strings.Builder) {
	b.WriteString("/* The steps of the trace, in order. */\n")
	b.WriteString("static const struct step steps[NSTEPS + 1] = {\n")
	for _, rs := range p.steps {
		o := rs.st.Op
		fmt.Fprintf(b, "\t{.label = %s, .call = %s, .proc = %d, .child = %d,\n\t .op = %s, .start = %d, .end = %d, .arg = %s, .expect = %s,\n\t %s",
			cString(rs.label), cString(rs.call), rs.proc, rs.child, o.Kind.Info().C, o.Start, o.End, reproArg(o), cErrno(rs.expect),
			cLayout("nvma", "vma", rs.layout))
		fmt.Fprintf(b, ",\n\t .model = %s", cString(rs.model(p.t)))
		if rs.child >= 0 {
			fmt.Fprintf(b, ",\n\t %s", cLayout("ncvma", "cvma", rs.childLayout))
		}
		b.WriteString("},\n")
	}
	b.WriteString("\t{.label = NULL},\n};\n\n")
	b.WriteString("/* The final MADV_PAGEOUT of each live process. */\n")
	b.WriteString("static const struct step pageouts[NPAGEOUT + 1] = {\n")
	for _, f := range p.pageout {
		fmt.Fprintf(b, "\t{.label = \"end\", .call = %s, .proc = %d, .child = -1,\n\t .op = OP_MADVISE, .start = 0, .end = PAGES, .arg = MADV_PAGEOUT, .expect = %s,\n\t %s,\n\t .model = %s",
			cString(fmt.Sprintf("madvise([0,%d), MADV_PAGEOUT)", p.t.Scope.Pages)), f.proc, cErrno(f.expect), cLayout("nvma", "vma", f.layout), cString(p.predictor))
		var pages []string
		for a, pg := range f.pages {
			if pg.mapcount > 0 {
				reach := 0
				if pg.reach {
					reach = 1
				}
				pages = append(pages, fmt.Sprintf("[%d] = {%d, %d}", a, pg.mapcount, reach))
			}
		}
		if len(pages) > 0 {
			fmt.Fprintf(b, ",\n\t .page = {%s}", strings.Join(pages, ", "))
		}
		b.WriteString("},\n")
	}
	b.WriteString("\t{.label = NULL},\n};\n")
}
