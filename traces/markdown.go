package traces

import (
	"fmt"
	"io"
	"strings"

	"anoncheck/state"
	"anoncheck/transitions"
)

// WriteMarkdownTrace renders the trace for a pull-request comment or a CI
// job summary: the same content as WriteText, each step's state in a code
// block, and a Mermaid diagram of the anon_vma tree after each operation:
// anon_vmas with their parent edges, VMAs with an edge to every anon_vma
// on their chain (thick to their own ->anon_vma).
func WriteMarkdownTrace(w io.Writer, t *Trace) error {
	var b strings.Builder
	title := fmt.Sprintf("anoncheck: trace under `%s`", t.Variant.Name)
	if t.Property != nil {
		title = fmt.Sprintf("anoncheck: `%s` violated by `%s`", t.Property.Name, t.Variant.Name)
		if t.Property.Advisory {
			title = fmt.Sprintf("anoncheck: `%s` (advisory) violated by `%s`", t.Property.Name, t.Variant.Name)
		}
		if d := t.Depth(); d > 0 {
			title += fmt.Sprintf(" after %d operation(s)", d)
		} else {
			title += " in its initial layout"
		}
	}
	fmt.Fprintf(&b, "### %s\n\n", title)
	if t.Property != nil {
		fmt.Fprintf(&b, "- **property:** %s\n- **kernel failure:** %s\n", t.Property.Statement, t.Property.Failure)
		if why := t.Why(); why != "" {
			fmt.Fprintf(&b, "- **here:** %s\n", why)
		}
	}
	fmt.Fprintf(&b, "- **variant:** %s\n- **scope:** %s\n", t.Variant.Follows, &t.Scope)
	final := t.Final()
	if final.Bug != 0 {
		fmt.Fprintf(&b, "- **oops:** `%s`\n", transitions.Assertion(final.Bug))
	}
	if final.Warn != 0 {
		fmt.Fprintf(&b, "- **warning:** `%s`\n", transitions.Assertion(final.Warn))
	}
	initial := transitions.Initial()
	prevLines := StateLines(&initial, t.Variant.CountersKept())
	legend := false
	for i, st := range t.Steps {
		lines := StateLines(&st.Raw, t.Variant.CountersKept())
		prev := prevLines
		prevLines = lines
		label := fmt.Sprintf("operation %d", t.Number(i))
		if st.Setup {
			label = fmt.Sprintf("setup %d", t.Number(i))
		}
		fmt.Fprintf(&b, "\n#### %s: `%s`\n\n", label, st.Syscall())
		var calls []string
		for _, c := range st.Calls {
			calls = append(calls, strings.Repeat("  ", c.Depth)+c.Name)
		}
		if len(calls) > 0 {
			fmt.Fprintf(&b, "<details><summary>kernel path</summary>\n\n```\n%s\n```\n</details>\n\n", strings.Join(calls, "\n"))
		}
		if !t.ShowsState(i) {
			continue
		}
		fmt.Fprintf(&b, "```\n%s\n```\n\n", strings.Join(markedLines(lines, prev), "\n"))
		if !legend {
			b.WriteString("In the diagrams, `==>` is a VMA's own `->anon_vma` (on its chain), `-.->` another anon_vma on its chain, `-->|parent|` an anon_vma's `->parent`, `-.->|mapping|` a page's `->mapping`.\n\n")
			legend = true
		}
		writeMermaid(&b, &st.Raw)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMermaid(b *strings.Builder, s *state.State) {
	b.WriteString("```mermaid\ngraph TD\n")
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status == state.AVUnused {
			continue
		}
		id := state.AVID(i + 1)
		label := id.Name()
		if a.Status == state.AVFreed {
			label += " FREED"
		} else if a.Root == id {
			label += " (root)"
		}
		fmt.Fprintf(b, "  %s[\"%s\"]\n", id.Name(), label)
		if a.Status == state.AVLive && a.Parent != id && a.Parent != state.NoAV {
			fmt.Fprintf(b, "  %s -->|parent| %s\n", id.Name(), a.Parent.Name())
		}
	}
	var listed [state.MaxVMAs + 1]bool
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		s.ForEachVMA(p, func(v state.VMAID) bool {
			listed[v] = true
			return true
		})
	}
	for i := range s.VMAs {
		if v := state.VMAID(i + 1); s.VMAs[i].MM != 0 && !listed[v] {
			mermaidVMA(b, s, int(s.VMAs[i].MM-1), v, " (detached, not freed)")
		}
	}
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		s.ForEachVMA(p, func(v state.VMAID) bool {
			mermaidVMA(b, s, p, v, "")
			return true
		})
	}
	for i := range s.Pages {
		if pg := &s.Pages[i]; pg.Used != 0 && pg.Mapping != state.NoAV {
			fmt.Fprintf(b, "  pg%d[/\"pg%d index=%d\"/] -.->|mapping| %s\n", i+1, i+1, pg.Index, pg.Mapping.Name())
		}
	}
	b.WriteString("```\n")
}

// mermaidVMA draws VMA v of process p and its links to anon_vmas.
func mermaidVMA(b *strings.Builder, s *state.State, p int, v state.VMAID, note string) {
	vv := s.VMA(v)
	fmt.Fprintf(b, "  vma%s([\"%s %s [%d,%d) %s%s\"])\n", v.Name(), transitions.ProcName(uint8(p)), v.Name(), vv.Start, vv.End, strings.Fields(vv.Flags.String())[0], note)
	for j := uint8(0); j < vv.NChain; j++ {
		arrow := "-.->"
		if vv.Chain[j] == vv.AnonVMA {
			arrow = "==>"
		}
		fmt.Fprintf(b, "  vma%s %s %s\n", v.Name(), arrow, vv.Chain[j].Name())
	}
	if vv.AnonVMA != state.NoAV && !vv.ChainHas(vv.AnonVMA) {
		fmt.Fprintf(b, "  vma%s ==>|anon_vma, not on chain| %s\n", v.Name(), vv.AnonVMA.Name())
	}
}
