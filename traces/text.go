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
	if t.Property != nil {
		if d := t.Depth(); d == 0 {
			fmt.Fprintf(&b, "anoncheck: %s violated by %s in its initial layout\n", t.PropertyName(), t.Variant.Name)
		} else {
			fmt.Fprintf(&b, "anoncheck: %s violated by %s after %d operation(s)\n", t.PropertyName(), t.Variant.Name, d)
		}
		b.WriteString("\n")
		field(&b, "property:", t.Property.Statement)
		field(&b, "failure:", t.Property.Failure)
		if why := t.Why(); why != "" {
			field(&b, "here:", why)
		}
	} else {
		fmt.Fprintf(&b, "anoncheck: trace under %s, %d operation(s)\n", t.Variant.Name, t.Depth())
	}
	field(&b, "variant:", t.Variant.Follows)
	field(&b, "scope:", t.Scope.String())
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
		for _, c := range st.Calls {
			fmt.Fprintf(&b, "         %s%s\n", strings.Repeat("  ", c.Depth), c.Name)
		}
		lines := StateLines(&st.Raw, t.Variant.CountersKept())
		if t.ShowsState(i) {
			writeMarked(&b, lines, prevLines)
		}
		prevLines = lines
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarked(b *strings.Builder, lines, prev []string) {
	for _, l := range markedLines(lines, prev) {
		fmt.Fprintf(b, "       %s\n", l)
	}
}

// markedLines prefixes each line of a state's drawing with "* " if the
// previous drawing lacks it and "  " if not, and ends with a "- gone:"
// line naming the objects (processes, VMAs, anon_vmas, pages: the first
// word of their lines) the previous drawing had and this one has not.
func markedLines(lines, prev []string) []string {
	old := map[string]bool{}
	for _, l := range prev {
		old[l] = true
	}
	now := map[string]bool{}
	var out []string
	for _, l := range lines {
		mark := "  "
		if !old[l] {
			mark = "* "
		}
		out = append(out, mark+l)
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
	if len(gone) > 0 {
		out = append(out, "- gone: "+strings.Join(gone, ", "))
	}
	return out
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
