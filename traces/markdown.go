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
	fmt.Fprintf(&b, "### %s\n\n", markdownTitle(t))
	if t.Property != nil {
		fmt.Fprintf(&b, "- **property:** %s\n- **kernel failure:** %s\n", t.Property.Statement, t.Property.Failure)
		if why := t.Why(); why != "" {
			fmt.Fprintf(&b, "- **here:** %s\n", why)
		}
	}
	fmt.Fprintf(&b, "- **variant:** %s\n- **scope:** %s\n", t.Variant.Follows, &t.Scope)
	if t.Against != nil {
		fmt.Fprintf(&b, "- **against:** %s\n", t.againstNote())
	}
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
		d := t.departure(i)
		if d != nil {
			fmt.Fprintf(&b, "**%s**\n\n", d.what(t.Against.Variant.Name))
		}
		var calls []string
		for _, c := range t.stepCalls(i) {
			calls = append(calls, t.departMark(c.op)+c.text)
		}
		if len(calls) > 0 {
			open := ""
			if d != nil && d.calls {
				open = " open"
			}
			fmt.Fprintf(&b, "<details%s><summary>kernel path</summary>\n\n```\n%s\n```\n</details>\n\n", open, strings.Join(calls, "\n"))
		}
		if !t.ShowsState(i) {
			continue
		}
		drawn := t.drawing(i, lines, prev)
		if t.Against == nil {
			for j := range drawn {
				drawn[j] = drawn[j][2:]
			}
		}
		fmt.Fprintf(&b, "```\n%s\n```\n\n", strings.Join(drawn, "\n"))
		if !legend {
			b.WriteString("In the diagrams, `==>` is a VMA's own `->anon_vma` (on its chain), `-.->` another anon_vma on its chain, `-->|parent|` an anon_vma's `->parent`, `-.->|mapping|` a page's `->mapping`.\n\n")
			legend = true
		}
		writeMermaid(&b, &st.Raw)
	}
	if n := t.againstLonger(); n != "" {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownTitle is the title line: Trace.Title with the names as code.
func markdownTitle(t *Trace) string {
	if t.Property == nil {
		return fmt.Sprintf("anoncheck: trace under `%s`", t.Variant.Name)
	}
	prop := "`" + t.Property.Name + "`"
	if t.Property.Advisory {
		prop += " (advisory)"
	}
	switch d := t.Depth(); {
	case t.Holds():
		return fmt.Sprintf("anoncheck: %s holds under `%s` after the %d operation(s) of the trace", prop, t.Variant.Name, d)
	case d == 0:
		return fmt.Sprintf("anoncheck: %s violated by `%s` in its initial layout", prop, t.Variant.Name)
	default:
		return fmt.Sprintf("anoncheck: %s violated by `%s` after %d operation(s)", prop, t.Variant.Name, d)
	}
}

// departMark is a line's departure mark and a space when the trace is
// compared with another run, "" when not.
func (t *Trace) departMark(op byte) string {
	if t.Against == nil {
		return ""
	}
	return string(op) + " "
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
