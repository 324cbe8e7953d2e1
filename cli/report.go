package cli

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"anoncheck/run"
	"anoncheck/state"
	"anoncheck/traces"
)

// printReport prints a variant's run: what it explored and its verdicts,
// why it is incomplete, and its traces, printed and written as the flags
// ask. With brief (the matrix follows), only what the matrix cannot show
// is printed: why a run is incomplete, and the traces when asked for.
//
// The report is plain text; with --format markdown it is fenced, so that
// it renders as written (the traces that follow are Markdown).
func printReport(w io.Writer, f *checkFlags, r *run.Run, brief bool, files *written) error {
	var text bytes.Buffer
	if err := printSummary(&text, f, r, brief, files); err != nil {
		return err
	}
	if text.Len() > 0 && f.markdown() {
		fmt.Fprintf(w, "```text\n%s```\n\n", text.Bytes())
	} else if _, err := text.WriteTo(w); err != nil {
		return err
	}
	if (f.traces || f.out != "") && !r.IsPart() { // the merge of the parts gives the traces
		if err := printTraces(w, f, r, files); err != nil {
			return err
		}
	}
	if !brief {
		fmt.Fprintln(w)
	}
	return nil
}

// printSummary prints the text of a variant's report (printReport).
func printSummary(w io.Writer, f *checkFlags, r *run.Run, brief bool, files *written) error {
	st, res, v, sc := r.Result.Stats, &r.Result, r.Variant, &r.Model.Scope
	bound := fmt.Sprint(f.bound)
	if f.bound == 0 {
		bound = "none (fixpoint)"
	}
	out := w
	if brief {
		out = io.Discard
	}
	fmt.Fprintf(out, "variant %s: %s\n", v.Name, v.Follows)
	extra := ""
	if y := r.Model.Symmetry; y != state.SymFull {
		extra += " symmetry=" + y.String()
	}
	fmt.Fprintf(out, "  scope: %s%s, bound %s (config %s)\n", sc, extra, bound, r.Model.ConfigDigest(f.bound))
	rate := float64(st.States) / st.Elapsed.Seconds()
	fmt.Fprintf(out, "  explored %d states (%d initial layouts), %d transitions, depth %d, %s, %.0f states/s, heap %d MiB\n",
		st.States, st.Setup, st.Transitions, st.Depth, st.Elapsed.Round(time.Millisecond), rate, st.HeapBytes>>20)
	fmt.Fprintf(out, "  states per depth: %s\n", joinInts(st.PerDepth))
	n := float64(st.States)
	if f.verifyStates && res.Collision == nil {
		fmt.Fprintf(out, "  fingerprints: 64-bit, verified against the stored states: no collision\n")
	} else {
		fmt.Fprintf(out, "  fingerprints: 64-bit; probability that a hash collision hid a state <= %.1e (n^2/2^65)\n", n*n/math.Exp2(65))
	}
	if st.States > 0 {
		fmt.Fprintf(out, "  memory: visited set %.1f bytes/state, parent links and actions 8 bytes/state\n", float64(st.TableBytes)/n)
	}
	printCoverage(out, "  ", r.Coverage(), r.Variant, &r.Model.Scope, r.Vacuous())
	if f.resume != "" {
		fmt.Fprintf(out, "  (resumed from %s: the coverage counts the transitions taken since the checkpoint, not those before it)\n", f.resume)
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for i, p := range r.Props {
		if p.Limit {
			continue
		}
		verdict := ""
		switch {
		case res.Violated(i):
			verdict = fmt.Sprintf("VIOLATED at depth %d", res.Violations[i].Depth)
			if p.Advisory {
				verdict += " (advisory)"
			}
		case r.Vacuous():
			verdict = "not checked (the operations never reached the anon_vma code)"
		case r.IsPart():
			verdict = fmt.Sprintf("not violated in this part (%d states; anoncheck merge gives the verdict)", st.States)
		case r.Incomplete():
			verdict = fmt.Sprintf("not violated in what was explored (incomplete, depth %d)", st.Depth)
		case f.bound == 0:
			verdict = "holds (fixpoint)"
		default:
			verdict = fmt.Sprintf("holds (bound %d)", f.bound)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Vacuous() {
		fmt.Fprintf(w, "  %s incomplete: no anon_vma was ever allocated, so no property was put to the test; add write to --ops\n", v.Name)
	}
	if r.Capacity() {
		fmt.Fprintf(w, "  %s incomplete: a state outgrew the model's capacities (%s); use a smaller scope\n", v.Name, r.CapacityCause())
	}
	limited := !res.Complete
	if limited {
		fmt.Fprintf(w, "  %s incomplete: explored %d states to depth %d of bound %s; stopped by %s\n", v.Name, st.States, st.Depth, bound, stopFlag(r.Stop))
	}
	if res.Collision != nil {
		fmt.Fprintf(w, "  %s: two different states share fingerprint %016x (found at depth %d); without --verify-states one of them would have been missed\n",
			v.Name, res.Collision.Fingerprint, res.Collision.Depth)
	}
	noteCheckpoint(f, r, files)
	switch {
	case res.Err != nil:
		fmt.Fprintf(w, "  %s: %v\n", v.Name, res.Err)
	case res.Checkpoints > 0 && limited:
		fmt.Fprintf(w, "  checkpoint written to %s; run the same command with --resume %s (instead of --checkpoint, or with both) to continue\n", f.checkpoint, f.checkpoint)
	case f.checkpoint != "" && limited:
		fmt.Fprintf(w, "  no checkpoint written: the run stopped during the initial layouts, or by --max-states, before a consistent point\n")
	}
	return nil
}

// written names each file a command writes, on stderr as it is written
// (stdout is the report's: one JSON document with --format json), and
// keeps the paths in order.
type written struct {
	w     io.Writer
	paths []string
}

func (o *written) add(path string) {
	fmt.Fprintf(o.w, "wrote %s\n", path)
	o.paths = append(o.paths, path)
}

// noteCheckpoint names the checkpoint file run r wrote, if it wrote one.
func noteCheckpoint(f *checkFlags, r *run.Run, files *written) {
	if r.Result.Checkpoints > 0 {
		files.add(f.checkpoint)
	}
}

// savedTrace is a violation's trace and the files it was written to
// (empty where it was not).
type savedTrace struct {
	t          *traces.Trace
	json, html string
}

// writeTraces builds the trace of each violation of r and saves it.
func writeTraces(f *checkFlags, r *run.Run, files *written) ([]savedTrace, error) {
	var out []savedTrace
	for i, p := range r.Props {
		if !r.Result.Violated(i) || p.Limit {
			continue
		}
		t, err := r.Trace(i)
		if err != nil {
			return nil, err
		}
		st, err := saveTrace(f, t, files)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// printTraces builds the trace of each violation, saves it and prints it
// when --traces.
func printTraces(w io.Writer, f *checkFlags, r *run.Run, files *written) error {
	saved, err := writeTraces(f, r, files)
	if err != nil {
		return err
	}
	for _, st := range saved {
		if err := printTrace(w, f, st); err != nil {
			return err
		}
	}
	return nil
}

// emitTrace saves a violation's trace and prints it when --traces.
func emitTrace(w io.Writer, f *checkFlags, t *traces.Trace, files *written) error {
	st, err := saveTrace(f, t, files)
	if err != nil {
		return err
	}
	return printTrace(w, f, st)
}

// saveTrace writes a violation's trace to --out as JSON, and with
// --format html and --traces its page beside it.
func saveTrace(f *checkFlags, t *traces.Trace, files *written) (savedTrace, error) {
	st := savedTrace{t: t}
	if f.out == "" {
		return st, nil
	}
	base := filepath.Join(f.out, t.Variant.Name+"."+t.Property.Name)
	data, err := traces.EncodeJSON(t)
	if err != nil {
		return st, err
	}
	st.json = base + ".json"
	if err := traces.WriteFileAtomic(st.json, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return st, fmt.Errorf("writing %s: %v", st.json, err)
	}
	files.add(st.json)
	if f.format == "html" && f.traces {
		st.html = base + ".html"
		if err := traces.WriteFileAtomic(st.html, func(w io.Writer) error { return traces.WriteHTML(w, t) }); err != nil {
			return st, fmt.Errorf("writing %s: %v", st.html, err)
		}
		files.add(st.html)
	}
	return st, nil
}

// printTrace prints a saved trace in --format when --traces; a page
// (html) is named, not printed.
func printTrace(w io.Writer, f *checkFlags, st savedTrace) error {
	switch {
	case !f.traces:
		return nil
	case st.html != "":
		fmt.Fprintf(w, "\n%s violated by %s: %s\n", st.t.Property.Name, st.t.Variant.Name, st.html)
		return nil
	}
	fmt.Fprintln(w)
	write, _ := traceWriter(f.format)
	return write(w, st.t)
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, " ")
}
