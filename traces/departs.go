package traces

import (
	"strings"

	"anoncheck/specs"
)

// A trace compared with another run of the same operations (Trace.Against:
// the recorded run of a trace file replayed under another variant, or the
// other side of a diff) is drawn with marks where it departs from that
// run: in a step's result, its kernel call path, or the state after it.
// Lines only in this run are marked '+', lines only in the other '-'.

// departure is how a step departs from the same step of t.Against.
type departure struct {
	there                *Step // the step in the other run; nil if that run stopped before it
	result, calls, state bool
	// undrawn names the fields that differ when the drawings of the two
	// states agree ("pg1 Flags").
	undrawn []string
}

// departure returns how step i departs from the same step of t.Against;
// nil when the trace is compared with nothing or the step is the same.
func (t *Trace) departure(i int) *departure {
	if t.Against == nil {
		return nil
	}
	if i >= len(t.Against.Steps) {
		return &departure{}
	}
	st, th := &t.Steps[i], &t.Against.Steps[i]
	d := &departure{there: th, result: st.Errno != th.Errno || st.Child != th.Child,
		calls: strings.Join(callLines(st), "\n") != strings.Join(callLines(th), "\n")}
	if t.Variant.CountersKept() == t.Against.Variant.CountersKept() {
		d.state = st.After != th.After
	} else {
		d.state = !specs.SameKernelState(&st.After, &th.After)
	}
	if !d.result && !d.calls && !d.state {
		return nil
	}
	if d.state {
		if fd := t.stepFieldDiffs(st, th); len(fd) > 0 && strings.HasSuffix(fd[0], " (not drawn)") {
			for _, f := range fd {
				name, _, _ := strings.Cut(f, ":")
				d.undrawn = append(d.undrawn, name)
			}
		}
	}
	return d
}

// what says where the step departs, for a line of its own.
func (d *departure) what(other string) string {
	if d.there == nil {
		return "the run under " + other + " stopped before this step"
	}
	var parts []string
	if d.result {
		parts = append(parts, "result (there "+d.there.Syscall()+")")
	}
	if d.calls {
		parts = append(parts, "call path")
	}
	switch {
	case len(d.undrawn) > 0:
		parts = append(parts, "state ("+strings.Join(d.undrawn, ", ")+", which the drawing does not show)")
	case d.state:
		parts = append(parts, "state")
	}
	return "departs from the run under " + other + ": " + strings.Join(parts, ", ")
}

// againstNote is the header line that says what the trace is compared
// with and how the marks read.
func (t *Trace) againstNote() string {
	return "the run under " + t.Against.Variant.Name + " of the same operations: where this one departs from it, " +
		"lines marked + are only in this run and lines marked - only in that one"
}

// callLines renders a step's kernel call path, one call a line, indented
// two spaces a level.
func callLines(st *Step) []string {
	out := make([]string, len(st.Calls))
	for i, c := range st.Calls {
		out[i] = strings.Repeat("  ", c.Depth) + c.Name
	}
	return out
}

// lineDiff is one line of a comparison of two drawings: op is ' ' for a
// line in both, '+' for a line only in the second, '-' only in the first.
type lineDiff struct {
	op   byte
	text string
}

// diffSeq compares two lists of lines by their longest common
// subsequence, so that a line that changed is listed right beside what
// replaced it: '-' the old line, then '+' the new.
func diffSeq(a, b []string) []lineDiff {
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []lineDiff
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, lineDiff{' ', b[j]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] > lcs[i+1][j]):
			out = append(out, lineDiff{'+', b[j]})
			j++
		default:
			out = append(out, lineDiff{'-', a[i]})
			i++
		}
	}
	return groupChanges(out)
}

// groupChanges orders each run of changed lines so that a removed line
// comes right before the added line of the same object (lineKey) that
// replaced it; removed lines nothing replaced end the run.
func groupChanges(d []lineDiff) []lineDiff {
	out := make([]lineDiff, 0, len(d))
	for i := 0; i < len(d); {
		if d[i].op == ' ' {
			out = append(out, d[i])
			i++
			continue
		}
		j := i
		for j < len(d) && d[j].op != ' ' {
			j++
		}
		used := make([]bool, j-i)
		for _, l := range d[i:j] {
			if l.op != '+' {
				continue
			}
			for k, m := range d[i:j] {
				if m.op == '-' && !used[k] && lineKey(m.text) == lineKey(l.text) {
					out = append(out, m)
					used[k] = true
				}
			}
			out = append(out, l)
		}
		for k, m := range d[i:j] {
			if m.op == '-' && !used[k] {
				out = append(out, m)
			}
		}
		i = j
	}
	return out
}

// lineKey names the object a line of a drawing or a call path is about:
// its first word, up to a parenthesis (P2, C, av1, pg1, anon_vma_clone).
func lineKey(l string) string {
	f := strings.Fields(l)
	if len(f) == 0 {
		return ""
	}
	k, _, _ := strings.Cut(f[0], "(")
	return k
}

// stepLines are the lines of step i's drawing as the renderings print
// them, each with its marks: departure against t.Against (' ', '+', '-')
// and whether the line is new since the previous step's drawing. lines
// and prev are the step's drawing and the previous one. With inlineGone
// the lines of prev that lines lacks are listed too, marked gone, each
// right before the line that replaced it (where the previous drawing had
// it).
func (t *Trace) stepLines(i int, lines, prev []string, inlineGone bool) []markedLine {
	had := map[string]bool{}
	for _, l := range prev {
		had[l] = true
	}
	there := lines
	if d := t.departure(i); d != nil && d.there != nil && d.state {
		there = StateLines(&d.there.Raw, t.Against.Variant.CountersKept())
	}
	var gone [][]string
	if inlineGone {
		gone = removedBefore(diffSeq(prev, lines), len(lines))
	}
	against := diffSeq(there, lines)
	departed := removedBefore(against, len(lines))
	here := map[string]bool{}
	for _, l := range against {
		if l.op == '+' {
			here[l.text] = true
		}
	}
	var out []markedLine
	for k := 0; k <= len(lines); k++ {
		if gone != nil {
			for _, l := range gone[k] {
				out = append(out, markedLine{depart: ' ', gone: true, text: l})
			}
		}
		for _, l := range departed[k] {
			out = append(out, markedLine{depart: '-', text: l})
		}
		if k < len(lines) {
			m := markedLine{depart: ' ', changed: !had[lines[k]], text: lines[k]}
			if here[lines[k]] {
				m.depart = '+'
			}
			out = append(out, m)
		}
	}
	return out
}

// removedBefore returns the lines a diff of a against b (diffSeq) removes,
// by the index of the line of b they come before: n, the length of b, for
// those at the end.
func removedBefore(d []lineDiff, n int) [][]string {
	out := make([][]string, n+1)
	k := 0
	for _, l := range d {
		switch l.op {
		case '-':
			out[k] = append(out[k], l.text)
		default:
			k++
		}
	}
	return out
}

// markedLine is one line of a step's drawing with its marks.
type markedLine struct {
	depart  byte // ' ', '+' (only in this run) or '-' (only in t.Against's)
	changed bool // not in the previous step's drawing
	gone    bool // in the previous step's drawing, not in this one
	text    string
}

// stepCalls is step i's call path, each line marked against the same
// step of t.Against as stepLines marks the drawing.
func (t *Trace) stepCalls(i int) []lineDiff {
	here := callLines(&t.Steps[i])
	there := here
	if d := t.departure(i); d != nil && d.there != nil && d.calls {
		there = callLines(d.there)
	}
	return diffSeq(there, here)
}
