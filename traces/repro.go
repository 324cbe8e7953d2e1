package traces

import (
	"fmt"
	"io"
	"strings"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
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

// rmapProperties are the properties whose kernel failure surfaces in an
// rmap walk: an anon_vma missing from a chain, a dangling or freed
// anon_vma, chains under different roots, counters that free an anon_vma
// early, and the BUG and WARN checks on the modelled paths, which leave
// the anon_vma bookkeeping half-updated when they fire. For these the
// reproducer ends with MADV_PAGEOUT, which (when the kernel can swap)
// unmaps each private page through try_to_unmap()'s rmap walk. The
// others (mm-list-consistent, no-leak, hierarchy-growth, scope-capacity)
// concern the VMA list and object counts, which no walk checks.
var rmapProperties = map[string]bool{
	"rmap-reachable":           true,
	"no-freed-anon-vma":        true,
	"own-anon-vma-linked":      true,
	"one-root-per-chain":       true,
	"same-anon-vma-same-chain": true,
	"counter-accounting":       true,
	"kernel-bug":               true,
	"kernel-warn":              true,
}

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

// reproVMA is one line of /proc/self/maps as the model predicts it: a page
// slot range and permissions ("rw-p").
type reproVMA struct {
	start, end uint8
	perm       string
}

// reproStep is one step of the trace as the program performs it.
type reproStep struct {
	st     *Step
	label  string // the step's number as traces print it: "s1", "4"
	call   string // the system call without the process: "mprotect([0,1), r)"
	proc   int    // the process slot that performs it
	child  int    // a fork's new process slot; -1 otherwise
	expect int    // the return value expected: 0 or -errno
	layout []reproVMA
	// childLayout is the new process's layout after a fork.
	childLayout []reproVMA
	// base, when not nil, is this step as the nearest variant without the
	// patch ran it; its outcome is expected instead of the trace
	// variant's, which oopsed here.
	base *Step
	// baseName names that variant.
	baseName string
}

// reproPage is a page slot of a process at the end, as the model has it.
type reproPage struct {
	// mapcount is page_mapcount() of the page mapped at the slot; 0 when
	// the model maps none there.
	mapcount int
	// reach reports whether an rmap walk from the page's page->mapping
	// finds this mapping (specs.RmapReaches).
	reach bool
}

// reproFinal is the MADV_PAGEOUT a live process performs at the end.
type reproFinal struct {
	proc   int
	expect int
	layout []reproVMA
	pages  []reproPage // one per page slot
}

// reproPlan is everything the program needs, derived from the trace.
type reproPlan struct {
	t       *Trace
	steps   []reproStep
	pageout []reproFinal
	// setup counts the setup steps among steps.
	setup int
	// predictor names the variant whose state the final pageouts are
	// predicted from: the trace's, or the base variant that completed the
	// step the trace's variant stopped at.
	predictor string
}

// model names the variant whose prediction a step's expectation is.
func (rs *reproStep) model(t *Trace) string {
	if rs.base != nil {
		return rs.baseName
	}
	return t.Variant.Name
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
// A step on which the trace's variant oopses is expected to complete as
// it does under the nearest variant the patch is based on (v5.4 for a
// patch on the v5.4 table): that is what a kernel without the patch does.
func WriteRepro(w io.Writer, t *Trace) error {
	p, err := planRepro(t)
	if err != nil {
		return err
	}
	var b strings.Builder
	p.writeHeader(&b)
	p.writeDefines(&b)
	b.WriteString(reproPrelude)
	p.writeTable(&b)
	b.WriteString(reproRuntime)
	_, err = io.WriteString(w, b.String())
	return err
}

// planRepro follows the trace's processes slot by slot and works out what
// each step must return and leave mapped.
func planRepro(t *Trace) (*reproPlan, error) {
	if t == nil || t.Variant == nil {
		return nil, fmt.Errorf("repro: no trace")
	}
	sc := t.Scope
	if sc.Pages < 1 || sc.Pages > state.MaxSlots || sc.Procs < 1 || sc.Procs > state.MaxProcs {
		return nil, fmt.Errorf("repro: scope pages=%d procs=%d outside the model's capacity", sc.Pages, sc.Procs)
	}
	p := &reproPlan{t: t, predictor: t.Variant.Name}
	var live [state.MaxProcs]bool
	live[0] = true
	final := transitions.Initial()
	for i := range t.Steps {
		st := &t.Steps[i]
		rs := reproStep{st: st, label: stepLabel(t, i), call: st.Op.Call(), proc: int(st.Op.Proc), child: -1, expect: st.Errno}
		if rs.proc >= sc.Procs || !live[rs.proc] {
			return nil, fmt.Errorf("repro: step %d (%s): %s is not running", i+1, st.Op, transitions.ProcName(st.Op.Proc))
		}
		after := &st.After
		if st.Errno == transitions.EOOPS || after.Faulted() {
			b, name, err := baseOutcome(t, i)
			if err != nil {
				return nil, err
			}
			rs.base, rs.baseName, rs.expect, after = b, name, b.Errno, &b.After
			p.predictor = name
		}
		if st.Setup {
			p.setup++
		}
		switch st.Op.Kind {
		case transitions.OpFork:
			rs.child = lowestFree(&live, sc.Procs)
			if rs.child < 0 {
				return nil, fmt.Errorf("repro: step %d (%s): no free process slot", i+1, st.Op)
			}
			if after.MMs[rs.child].Live == 0 {
				return nil, fmt.Errorf("repro: step %d (%s): the model has no process in slot %s after the fork",
					i+1, st.Op, transitions.ProcName(uint8(rs.child)))
			}
			live[rs.child] = true
			rs.childLayout = layoutOf(after, rs.child)
		case transitions.OpExit:
			if after.MMs[rs.proc].Live != 0 {
				return nil, fmt.Errorf("repro: step %d (%s): the process is still alive after it", i+1, st.Op)
			}
			live[rs.proc] = false
		}
		if st.Op.Kind != transitions.OpExit {
			rs.layout = layoutOf(after, rs.proc)
		}
		final = *after
		p.steps = append(p.steps, rs)
	}
	if t.Property != nil && rmapProperties[t.Property.Name] {
		for q := 0; q < sc.Procs; q++ {
			if !live[q] {
				continue
			}
			l := layoutOf(&final, q)
			p.pageout = append(p.pageout, reproFinal{proc: q, expect: pageoutResult(l, sc.Pages), layout: l, pages: pagesOf(&final, q, sc.Pages)})
		}
	}
	return p, nil
}

// baseOutcome replays the trace up to step i under the variants the trace's
// variant is based on, nearest first, and returns step i as the first of
// them that completes it, with that variant's name.
func baseOutcome(t *Trace, i int) (*Step, string, error) {
	ops := make([]transitions.Op, i+1)
	setup := make([]bool, i+1)
	for j := 0; j <= i; j++ {
		ops[j], setup[j] = t.Steps[j].Op, t.Steps[j].Setup
	}
	for v := baseOf(t.Variant); v != nil; v = baseOf(v) {
		bt, err := Replay(v, t.Scope, nil, ops, setup)
		if err != nil {
			return nil, "", fmt.Errorf("repro: step %d: replaying under %s to learn what an unpatched kernel does: %v", i+1, v.Name, err)
		}
		if len(bt.Steps) == i+1 && bt.Steps[i].Errno != transitions.EOOPS && !bt.Steps[i].After.Faulted() {
			return &bt.Steps[i], v.Name, nil
		}
	}
	return nil, "", fmt.Errorf("repro: step %d (%s): the model of %s stops here (%s) and so does every variant it is based on: no outcome to expect",
		i+1, t.Steps[i].Op, t.Variant.Name, faultName(&t.Steps[i].After))
}

// baseOf returns the variant v patches: its Base, or the v5.4 table for a
// variant with none; nil for v5.4 itself.
func baseOf(v *specs.Variant) *specs.Variant {
	name := v.Base
	if name == "" {
		if v.Name == specs.V54.Name {
			return nil
		}
		name = specs.V54.Name
	}
	b, err := specs.Lookup(name)
	if err != nil {
		return nil
	}
	return b
}

func faultName(s *state.State) string {
	switch {
	case s.Bug != 0:
		return transitions.Assertion(s.Bug).String()
	case s.Overflow != 0:
		return "out of " + state.CapName(s.Overflow)
	}
	return "oops"
}

func lowestFree(live *[state.MaxProcs]bool, procs int) int {
	for c := 0; c < procs && c < state.MaxProcs; c++ {
		if !live[c] {
			return c
		}
	}
	return -1
}

// layoutOf returns process p's VMAs in s as /proc/self/maps shows them.
func layoutOf(s *state.State, p int) []reproVMA {
	var out []reproVMA
	s.ForEachVMA(p, func(v state.VMAID) bool {
		vv := s.VMA(v)
		out = append(out, reproVMA{start: vv.Start, end: vv.End, perm: mapsPerm(vv.Flags)})
		return true
	})
	return out
}

// pagesOf returns, for each of process p's page slots in s, how many PTEs
// of live processes map the page mapped there (page_mapcount(), counted
// rather than read, so that a variant's counting bug does not change what
// MADV_PAGEOUT does) and whether rmap reaches that mapping.
func pagesOf(s *state.State, p, pages int) []reproPage {
	out := make([]reproPage, pages)
	for a := range out {
		pg := s.PT[p][a].Page()
		if pg == state.NoPage {
			continue
		}
		n := 0
		for q := 0; q < state.MaxProcs; q++ {
			for b := 0; b < state.MaxSlots; b++ {
				if s.MMs[q].Live != 0 && s.PT[q][b].Page() == pg {
					n++
				}
			}
		}
		out[a] = reproPage{mapcount: max(n, 1), reach: specs.RmapReaches(s, p, a)}
	}
	return out
}

// mapsPerm renders flags as the permission column of /proc/pid/maps; every
// modelled mapping is private.
func mapsPerm(f state.Flags) string {
	b := []byte("---p")
	if f&state.VMRead != 0 {
		b[0] = 'r'
	}
	if f&state.VMWrite != 0 {
		b[1] = 'w'
	}
	if f&state.VMExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// pageoutResult is what madvise(MADV_PAGEOUT) over all page slots returns
// for a layout: -ENOMEM when part of the range is unmapped, else 0.
func pageoutResult(l []reproVMA, pages int) int {
	next := uint8(0)
	for _, v := range l {
		if v.start != next {
			return transitions.ENOMEM
		}
		next = v.end
	}
	if int(next) != pages {
		return transitions.ENOMEM
	}
	return 0
}

// stepLabel numbers step i as the text traces do: s1, s2 ... for setup,
// 1, 2 ... for operations.
func stepLabel(t *Trace, i int) string {
	if t.Steps[i].Setup {
		return fmt.Sprintf("s%d", t.Number(i))
	}
	return fmt.Sprint(t.Number(i))
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
	b.WriteString(" */\n")
}

func (p *reproPlan) writeDefines(b *strings.Builder) {
	b.WriteString("\n")
	fmt.Fprintf(b, "#define BASE 0x%xUL\n", ReproBase)
	fmt.Fprintf(b, "#define PAGES %d /* page slots of the model's address space */\n", p.t.Scope.Pages)
	fmt.Fprintf(b, "#define PROCS %d /* process slots */\n", p.t.Scope.Procs)
	fmt.Fprintf(b, "#define TIMEOUT %d /* seconds */\n", ReproTimeout)
	fmt.Fprintf(b, "#define NSTEPS %d /* the trace's steps, setup included */\n", len(p.steps))
	fmt.Fprintf(b, "#define NSETUP %d /* of which setup */\n", p.setup)
	fmt.Fprintf(b, "#define NPAGEOUT %d /* the MADV_PAGEOUTs at the end, one per live process */\n", len(p.pageout))
	fmt.Fprintf(b, "#define PREDICTS %s /* whose predictions the steps expect */\n", cString(p.predicts()))
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

func (p *reproPlan) writeTable(b *strings.Builder) {
	b.WriteString("/* The steps of the trace, in order. */\n")
	b.WriteString("static const struct step steps[NSTEPS + 1] = {\n")
	for _, rs := range p.steps {
		o := rs.st.Op
		fmt.Fprintf(b, "\t{.label = %s, .call = %s, .proc = %d, .child = %d,\n\t .op = %s, .start = %d, .end = %d, .arg = %s, .expect = %s,\n\t %s",
			cString(rs.label), cString(rs.call), rs.proc, rs.child, o.Kind.Info().C, o.Start, o.End, o.CArg(), cErrno(rs.expect),
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

// reproPrelude opens the program: headers, and the types the step table
// uses.
const reproPrelude = `
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

`

// reproRuntime is the rest of the program: the process that performs
// steps, the controller, and main.
const reproRuntime = `
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

/* ---- the layout: lines of /proc/self/maps that overlap [lo, hi) ---- */

static char mapsbuf[1 << 18];

static void read_layout(struct ack *a, unsigned long lo, unsigned long hi)
{
	size_t n = 0;
	ssize_t r;
	char *line;
	int fd = open("/proc/self/maps", O_RDONLY);

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
		case OP_MMAP: {
			void *r = mmap(addr, len, c.arg, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			a.ret = r == MAP_FAILED ? -errno : r == addr ? 0 : -EADDRNOTAVAIL;
			break;
		}
		case OP_WRITE:
			a.ret = do_write(c.start);
			break;
		case OP_MPROTECT:
			a.ret = mprotect(addr, len, c.arg) ? -errno : 0;
			break;
		case OP_MADVISE:
			a.ret = madvise(addr, len, c.arg) ? -errno : 0;
			break;
		case OP_MUNMAP:
			a.ret = munmap(addr, len) ? -errno : 0;
			break;
		case OP_FORK: {
			pid_t pid = fork_sibling();

			if (pid == 0) {
				/* The child answers on its own channel only. */
				close(chan);
				chan = fd;
				a.pid = getpid();
				break;
			}
			if (fd >= 0)
				close(fd);
			a.ret = pid < 0 ? -errno : 0;
			a.pid = pid;
			break;
		}
		case OP_EXIT:
			_exit(0);
		default:
			a.ret = -ENOSYS;
		}
		read_layout(&a, BASE, BASE + PAGES * pagesize);
		if (c.op == OP_MADVISE && c.arg == MADV_PAGEOUT)
			read_pagemap(&a);
		if (send_msg(chan, &a, sizeof a, -1))
			_exit(3);
	}
}

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
	if (ran == NSTEPS && ranpageouts == NPAGEOUT) {
		printf("all %d trace step%s", NSTEPS, plural(NSTEPS));
		if (NPAGEOUT > 0)
			printf(" and %d MADV_PAGEOUT%s at the end", NPAGEOUT, plural(NPAGEOUT));
	} else {
		printf("%d of %d trace step%s", ran, NSTEPS, plural(NSTEPS));
		if (NPAGEOUT > 0)
			printf(" and %d of %d MADV_PAGEOUT%s at the end", ranpageouts, NPAGEOUT, plural(NPAGEOUT));
	}
	printf(" ran as %s\n", PREDICTS);
	return 0;
}
`
