package traces

import (
	"fmt"
	"io"
	"strings"

	"anoncheck/state"
	"anoncheck/transitions"
)

// WriteText renders the trace as plain text of at most about 80 columns, fit
// to mail to a kernel list: a title naming the property and the variant,
// then each step with its kernel path and the state after it, lines that
// changed marked with '*'.
func WriteText(w io.Writer, t *Trace) error {
	var b strings.Builder
	fmt.Fprintf(&b, "anoncheck: %s\n", t.Title())
	if t.Property != nil {
		b.WriteString("\n")
		field(&b, "property:", t.Property.Statement)
		field(&b, "failure:", t.Property.Failure)
		if why := t.Why(); why != "" {
			field(&b, "here:", why)
		}
	}
	field(&b, "variant:", t.Variant.Follows)
	field(&b, "scope:", t.Scope.String())
	if t.Against != nil {
		field(&b, "against:", t.againstNote())
	}
	final := t.Final()
	if final.Bug != 0 {
		fmt.Fprintf(&b, "  oops:     %s\n", transitions.Assertion(final.Bug))
	}
	if final.Warn != 0 {
		fmt.Fprintf(&b, "  warning:  %s\n", transitions.Assertion(final.Warn))
	}
	if final.Overflow != 0 {
		fmt.Fprintf(&b, "  overflow: %s\n", state.CapName(final.Overflow))
	}

	initial := transitions.Initial()
	prevLines := StateLines(&initial, t.Variant.CountersKept())
	for i, st := range t.Steps {
		if i == 0 && st.Setup {
			b.WriteString("\nsetup (builds the initial layout):\n")
		}
		if !st.Setup && (i == 0 || t.Steps[i-1].Setup) {
			b.WriteString("\noperations:\n")
		}
		label := fmt.Sprintf("%d.", t.Number(i))
		if st.Setup {
			label = "s" + label
		}
		fmt.Fprintf(&b, "  %-4s %s\n", label, st.Syscall())
		if d := t.departure(i); d != nil {
			fmt.Fprintf(&b, "       %s\n", d.what(t.Against.Variant.Name))
		}
		for _, c := range t.stepCalls(i) {
			fmt.Fprintf(&b, "     %c   %s\n", c.op, c.text)
		}
		lines := StateLines(&st.Raw, t.Variant.CountersKept())
		if t.ShowsState(i) {
			for _, l := range t.drawing(i, lines, prevLines) {
				fmt.Fprintf(&b, "     %s\n", l)
			}
		}
		prevLines = lines
	}
	if n := t.againstLonger(); n != "" {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Title is the trace's title line: the property and the variant, and
// whether the property is violated after the trace's operations.
func (t *Trace) Title() string {
	d := t.Depth()
	switch {
	case t.Property == nil:
		return fmt.Sprintf("trace under %s, %d operation(s)", t.Variant.Name, d)
	case t.Holds():
		return fmt.Sprintf("%s holds under %s after the %d operation(s) of the trace", t.PropertyName(), t.Variant.Name, d)
	case d == 0:
		return fmt.Sprintf("%s violated by %s in its initial layout", t.PropertyName(), t.Variant.Name)
	}
	return fmt.Sprintf("%s violated by %s after %d operation(s)", t.PropertyName(), t.Variant.Name, d)
}

// againstLonger notes the steps the run t is compared with took after
// this one stopped; "" if none.
func (t *Trace) againstLonger() string {
	if t.Against == nil || len(t.Against.Steps) <= len(t.Steps) {
		return ""
	}
	return fmt.Sprintf("The run under %s went on for %d more step(s), which this one did not run: the kernel stopped.",
		t.Against.Variant.Name, len(t.Against.Steps)-len(t.Steps))
}

// drawing renders step i's drawing lines as the text and Markdown show
// them: a departure mark against t.Against (' ', '+', '-') and a space,
// "* " if the previous drawing lacks the line and "  " if not, the line;
// then a "- gone:" line naming the objects the previous drawing had and
// this one has not. Without t.Against every departure mark is a space
// (the text keeps the column; the Markdown drops it).
func (t *Trace) drawing(i int, lines, prev []string) []string {
	var out []string
	for _, l := range t.stepLines(i, lines, prev, false) {
		mark := "  "
		if l.changed {
			mark = "* "
		}
		out = append(out, string(l.depart)+" "+mark+l.text)
	}
	if g := goneLine(lines, prev); g != "" {
		out = append(out, "  "+g)
	}
	return out
}

// goneLine is "- gone: " and the objects (processes, VMAs, anon_vmas,
// pages: the first word of their lines) the previous drawing had and
// this one has not; "" if none.
func goneLine(lines, prev []string) string {
	now := map[string]bool{}
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 {
			now[f[0]] = true
		}
	}
	var gone []string
	seen := map[string]bool{}
	for _, l := range prev {
		if f := strings.Fields(l); len(f) > 0 && !now[f[0]] && !seen[f[0]] {
			seen[f[0]] = true
			gone = append(gone, f[0])
		}
	}
	if len(gone) == 0 {
		return ""
	}
	return "- gone: " + strings.Join(gone, ", ")
}

// field writes a header line "  name:     value", the value folded at
// word boundaries to keep within 80 columns (a mailed report's width).
func field(b *strings.Builder, name, value string) {
	const indent, width = 12, 80
	fmt.Fprintf(b, "  %-*s", indent-2, name)
	col := indent
	for i, w := range strings.Fields(value) {
		if i > 0 && col+1+len(w) > width {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	b.WriteByte('\n')
}

// referrers lists what still points at anon_vma a: VMAs' ->anon_vma and
// chains, other anon_vmas' ->parent and ->root, pages' ->mapping.
func referrers(s *state.State, a state.AVID) []string {
	var out []string
	for i := range s.VMAs {
		v := &s.VMAs[i]
		if v.MM == 0 {
			continue
		}
		if v.AnonVMA == a {
			out = append(out, state.VMAID(i+1).Name()+"->anon_vma")
		}
		if v.ChainHas(a) {
			out = append(out, state.VMAID(i+1).Name()+"'s chain")
		}
	}
	for i := range s.AnonVMAs {
		o := &s.AnonVMAs[i]
		if o.Status != state.AVLive || state.AVID(i+1) == a {
			continue
		}
		if o.Parent == a {
			out = append(out, state.AVID(i+1).Name()+"->parent")
		}
		if o.Root == a {
			out = append(out, state.AVID(i+1).Name()+"->root")
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used != 0 && s.Pages[i].Mapping == a {
			out = append(out, fmt.Sprintf("pg%d->mapping", i+1))
		}
	}
	if len(out) == 0 {
		out = append(out, "nothing (the slot is kept for the step that freed it)")
	}
	return out
}

// StateLines draws a state (a step's Raw state, so that names are stable
// from step to step): per process the layout as
// tools/testing/vma draws it (one letter per page slot) and each VMA's
// range, flags, anon_vma and chain; then the anon_vmas and the pages.
func StateLines(s *state.State, counters transitions.Counters) []string {
	var out []string
	slots := 0
	for i := range s.VMAs {
		if s.VMAs[i].MM != 0 && int(s.VMAs[i].End) > slots {
			slots = int(s.VMAs[i].End)
		}
	}
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		for a := 0; a < state.MaxSlots; a++ {
			if s.PT[p][a].Page() != state.NoPage && a+1 > slots {
				slots = a + 1
			}
		}
	}
	vmaLine := func(v state.VMAID) string {
		vv := s.VMA(v)
		chain := make([]string, vv.NChain)
		for j := uint8(0); j < vv.NChain; j++ {
			chain[j] = vv.Chain[j].Name()
		}
		return fmt.Sprintf("%s [%d,%d) %s anon_vma=%s chain=[%s]", v.Name(), vv.Start, vv.End,
			vv.Flags, vv.AnonVMA.Name(), strings.Join(chain, " "))
	}
	var listed [state.MaxVMAs + 1]bool
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		draw := []byte(strings.Repeat(".", slots))
		var vl []string
		s.ForEachVMA(p, func(v state.VMAID) bool {
			vv := s.VMA(v)
			listed[v] = true
			for a := vv.Start; a < vv.End && int(a) < slots; a++ {
				draw[a] = v.Name()[0]
			}
			vl = append(vl, vmaLine(v))
			return true
		})
		var pt []string
		for a := 0; a < slots; a++ {
			pte := s.PT[p][a]
			if pte.Page() == state.NoPage {
				continue
			}
			w := "ro"
			if pte.Writable() {
				w = "rw"
			}
			pt = append(pt, fmt.Sprintf("%d:pg%d/%s", a, pte.Page(), w))
		}
		head := fmt.Sprintf("%s  %s", transitions.ProcName(uint8(p)), draw)
		if len(pt) > 0 {
			head += "  ptes " + strings.Join(pt, " ")
		}
		out = append(out, head)
		for _, l := range vl {
			out = append(out, "    "+l)
		}
	}
	// VMAs alive but on no mm's list: detached by an unmap that stopped
	// (an oops) before remove_vma() freed them. They still hold their
	// anon_vma and chain, which is often what the trace is about.
	for p := 0; p < state.MaxProcs; p++ {
		head := false
		for i := range s.VMAs {
			if v := state.VMAID(i + 1); int(s.VMAs[i].MM) == p+1 && !listed[v] {
				if !head {
					out = append(out, fmt.Sprintf("detached from %s's list, not freed:", transitions.ProcName(uint8(p))))
					head = true
				}
				out = append(out, "    "+vmaLine(v))
			}
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status == state.AVUnused {
			continue
		}
		if a.Status == state.AVFreed {
			out = append(out, fmt.Sprintf("%s FREED, still referenced by %s", state.AVID(i+1).Name(), strings.Join(referrers(s, state.AVID(i+1)), ", ")))
			continue
		}
		var tree []string
		for v := 0; v < state.MaxVMAs; v++ {
			if a.Tree&(1<<v) != 0 {
				tree = append(tree, state.VMAID(v+1).Name())
			}
		}
		ctr := fmt.Sprintf("degree=%d", a.Degree)
		if counters == transitions.CountChildrenActive {
			ctr = fmt.Sprintf("num_children=%d num_active_vmas=%d", a.NumChildren, a.NumActiveVMAs)
		}
		out = append(out, fmt.Sprintf("%s root=%s parent=%s refcount=%d %s tree={%s}",
			state.AVID(i+1).Name(), a.Root.Name(), a.Parent.Name(), a.Refcount, ctr, strings.Join(tree, ",")))
	}
	for i := range s.Pages {
		pg := &s.Pages[i]
		if pg.Used == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("pg%d mapping=%s index=%d mapcount=%d", i+1, pg.Mapping.Name(), pg.Index, pg.Mapcount))
	}
	return out
}
