package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"anoncheck/run"
	"anoncheck/transitions"
)

// table is a matrix to print: a header and rows of cells, the first
// column (the variant) left-aligned and the others right-aligned.
type table struct {
	head []string
	rows [][]string
}

// write prints the table aligned in columns, or with markdown as a
// Markdown table (which renders in a pull request or $GITHUB_STEP_SUMMARY,
// where aligned text would run together into one paragraph).
func (t *table) write(w io.Writer, markdown bool) error {
	if markdown {
		var b strings.Builder
		b.WriteString("\n")
		row := func(cells []string) { fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | ")) }
		row(t.head)
		sep := []string{"---"}
		for range t.head[1:] {
			sep = append(sep, "---:")
		}
		row(sep)
		for _, r := range t.rows {
			row(r)
		}
		b.WriteString("\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	width := len(t.head[0])
	for _, r := range t.rows {
		width = max(width, len(r[0]))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	for _, r := range append([][]string{t.head}, t.rows...) {
		fmt.Fprintf(tw, "%-*s\t%s\t\n", width, r[0], strings.Join(r[1:], "\t"))
	}
	return tw.Flush()
}

// writeMatrix prints the verdict matrix: a row per variant, a column per
// property; "ok" where the property holds to the bound, the depth of the
// shortest violation where it does not, "?" where the run was incomplete.
func writeMatrix(w io.Writer, out *run.Outcome, bound int, markdown bool) error {
	b := fmt.Sprintf("bound %d", bound)
	if bound == 0 {
		b = "fixpoint"
	}
	fmt.Fprintf(w, "verdicts (%s; ok = holds, N = violated after N operations, ? = not explored to the end, - = the anon_vma code never reached, a = advisory%s):\n", b, partLegend(out))
	props := out.Runs[0].Props
	t := &table{head: []string{"variant"}}
	var legend []string
	for _, p := range props {
		if !p.Limit {
			t.head = append(t.head, p.Short)
			legend = append(legend, p.Short+"="+p.Name)
		}
	}
	t.head = append(t.head, "states", "transitions", "depth", "seconds")
	for _, r := range out.Runs {
		row := []string{r.Variant.Name}
		for i, p := range props {
			if !p.Limit {
				row = append(row, matrixCell(r, i))
			}
		}
		st := r.Result.Stats
		row = append(row, fmt.Sprint(st.States), fmt.Sprint(st.Transitions), fmt.Sprint(st.Depth), fmt.Sprintf("%.1f", st.Elapsed.Seconds()))
		t.rows = append(t.rows, row)
	}
	if err := t.write(w, markdown); err != nil {
		return err
	}
	fmt.Fprintf(w, "columns: %s\n", strings.Join(legend, " "))
	if inc := out.IncompleteRuns(); len(inc) > 0 {
		var rows []string
		for _, r := range inc {
			rows = append(rows, fmt.Sprintf("%s (%s)", r.Variant.Name, incompleteWhy(r)))
		}
		if markdown {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "incomplete rows (their ? and - cells are no verdict, their violations are real): %s\n", strings.Join(rows, ", "))
	}
	return nil
}

// matrixCell is run r's cell for property i.
func matrixCell(r *run.Run, i int) string {
	switch {
	case r.Result.Violated(i):
		cell := fmt.Sprint(r.Result.Violations[i].Depth)
		if r.Props[i].Advisory {
			cell += "a"
		}
		return cell
	case r.Vacuous():
		return "-"
	case r.IsPart():
		return "p"
	case r.Incomplete():
		return "?"
	}
	return "ok"
}

// incompleteWhy says in a few words why run r is incomplete.
func incompleteWhy(r *run.Run) string {
	var why []string
	for _, b := range r.IncompleteBecause() {
		switch b {
		case "stopped":
			why = append(why, fmt.Sprintf("stopped by %s at depth %d", stopFlag(r.Stop), r.Result.Stats.Depth))
		case "capacity":
			why = append(why, "a state outgrew the model")
		case "vacuous":
			why = append(why, "the anon_vma code never reached")
		}
	}
	return strings.Join(why, "; ")
}

// partLegend explains the "p" cells of a matrix of parts.
func partLegend(out *run.Outcome) string {
	for _, r := range out.Runs {
		if r.IsPart() {
			return ", p = not violated in this part"
		}
	}
	return ""
}

// writeCoverageMatrix prints a row of coverage per variant after the
// verdict matrix.
func writeCoverageMatrix(w io.Writer, out *run.Outcome, markdown bool) error {
	if markdown {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "coverage (points reached of those modelled):")
	t := &table{head: []string{"variant", "operations", "functions", "cases", "assertions fired"}}
	for _, r := range out.Runs {
		c := r.Coverage()
		reached := func(n int, count func(int) uint64) int {
			k := 0
			for i := 0; i < n; i++ {
				if count(i) > 0 {
					k++
				}
			}
			return k
		}
		fns, cases := run.Modelled(r.Variant, &r.Model.Scope)
		ops, asserts := r.Model.Scope.Ops.Kinds(), transitions.Assertions()
		nops := reached(len(ops), func(i int) uint64 { return c.Op(ops[i]) })
		nfn := reached(len(fns), func(i int) uint64 { return c.Fn(fns[i]) })
		ncase := reached(len(cases), func(i int) uint64 { return c.Case(cases[i]) })
		nassert := reached(len(asserts), func(i int) uint64 { return c.Assertion(asserts[i]) })
		t.rows = append(t.rows, []string{r.Variant.Name, fmt.Sprintf("%d/%d", nops, len(ops)), fmt.Sprintf("%d/%d", nfn, len(fns)),
			fmt.Sprintf("%d/%d", ncase, len(cases)), fmt.Sprint(nassert)})
	}
	return t.write(w, markdown)
}
