package traces

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"anoncheck/specs"
)

// Verdict is one property's outcome for one variant.
type Verdict struct {
	Property *specs.Property
	// Depth of the shortest violation; specs.Holds if none was found.
	Depth int
	// Complete is false when the run stopped before exhausting the bound,
	// so a missing violation proves nothing.
	Complete bool
	// Trace of the violation, nil if none.
	Trace *Trace
	// Gating reports whether this verdict fails the gate.
	Gating bool
	// Undecided marks a candidate's violation the gate could not judge:
	// the baseline run did not finish, so whether it violates the
	// property too is unknown, and the gate is incomplete.
	Undecided bool
}

// notGating says why a violation does not fail the gate.
func (v Verdict) notGating() string {
	switch {
	case v.Undecided:
		return "undecided: the baseline run did not finish"
	case v.Property.Advisory:
		return "not gating: advisory"
	}
	return "not gating"
}

// Holds reports whether no violation was found.
func (v Verdict) Holds() bool { return v.Depth == specs.Holds }

// Status is "ok", "violated at depth N" or "incomplete".
func (v Verdict) Status() string {
	switch {
	case !v.Holds():
		return fmt.Sprintf("violated at depth %d", v.Depth)
	case !v.Complete:
		return "incomplete"
	}
	return "ok"
}

// VariantReport is the verdicts of one variant at one scope and bound.
type VariantReport struct {
	Variant  *specs.Variant
	Scope    string
	Bound    int
	States   int
	Seconds  float64
	Verdicts []Verdict
}

// Report is what a gate run found.
type Report struct {
	Title    string
	Variants []VariantReport
}

// WriteJUnit writes JUnit XML: a test suite per variant, a test case per
// property. A violation that fails the gate is a failure carrying its
// trace; an incomplete run, or a violation the gate could not judge (the
// baseline run did not finish), an error, since the gate then certifies
// nothing and exits 3.
//
// A violation that does not fail the gate (the baseline violates the
// property too, or the property is advisory) is a skipped test case, its
// message saying why and its trace in system-out. Jenkins' JUnit plugin
// marks a build unstable for failures and errors only, and GitLab's test
// report counts only those as failed: skipped cases leave the job green
// in both, where a <failure> painted it red although the gate passed.
// Skipped rather than passed, because the property does not hold: a
// passed case would hide the violation from a reader of the report (both
// list skipped cases with their message), and KTAP says the same with
// "# SKIP".
func WriteJUnit(w io.Writer, r *Report) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Error     *failure `xml:"error,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName xml.Name    `xml:"testsuites"`
		Name    string      `xml:"name,attr"`
		Suites  []testsuite `xml:"testsuite"`
	}
	out := testsuites{Name: r.Title}
	for _, vr := range r.Variants {
		ts := testsuite{Name: "anoncheck." + vr.Variant.Name, Time: fmt.Sprintf("%.3f", vr.Seconds)}
		for _, v := range vr.Verdicts {
			tc := testcase{Name: v.Property.Name, Classname: "anoncheck." + vr.Variant.Name, Time: "0"}
			switch {
			case !v.Holds():
				body := ""
				if v.Trace != nil {
					var b strings.Builder
					if err := WriteText(&b, v.Trace); err != nil {
						return err
					}
					body = b.String()
				}
				msg := fmt.Sprintf("%s %s (%s, bound %d)", v.Property.Name, v.Status(), vr.Scope, vr.Bound)
				switch {
				case v.Gating:
					tc.Failure = &failure{Message: msg, Type: "violation", Body: body}
					ts.Failures++
				case v.Undecided:
					tc.Error = &failure{Message: msg + "; " + v.notGating(), Type: "undecided", Body: body}
					ts.Errors++
				default:
					tc.Skipped = &skipped{Message: msg + "; " + v.notGating()}
					tc.SystemOut = body
					ts.Skipped++
				}
			case !v.Complete:
				tc.Error = &failure{Message: "run incomplete: not explored to the bound", Type: "incomplete"}
				ts.Errors++
			}
			ts.Cases = append(ts.Cases, tc)
			ts.Tests++
		}
		out.Suites = append(out.Suites, ts)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteKTAP writes the kernel's KTAP format (Documentation/dev-tools/ktap.rst):
// one subtest per variant, one test line per property; a violation's
// diagnostic lines carry the trace with "# " in front.
func WriteKTAP(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("KTAP version 1\n")
	fmt.Fprintf(&b, "1..%d\n", len(r.Variants))
	for i, vr := range r.Variants {
		b.WriteString("    KTAP version 1\n")
		fmt.Fprintf(&b, "    # Subtest: %s\n", vr.Variant.Name)
		fmt.Fprintf(&b, "    1..%d\n", len(vr.Verdicts))
		allOK := true
		for j, v := range vr.Verdicts {
			switch {
			case !v.Holds():
				if v.Trace != nil {
					var t strings.Builder
					if err := WriteText(&t, v.Trace); err != nil {
						return err
					}
					for _, l := range strings.Split(strings.TrimRight(t.String(), "\n"), "\n") {
						fmt.Fprintf(&b, "    # %s\n", l)
					}
				}
				if v.Gating {
					allOK = false
					fmt.Fprintf(&b, "    not ok %d %s\n", j+1, v.Property.Name)
				} else {
					fmt.Fprintf(&b, "    ok %d %s # SKIP violated, %s\n", j+1, v.Property.Name, v.notGating())
				}
			case !v.Complete:
				allOK = false
				fmt.Fprintf(&b, "    not ok %d %s # incomplete run\n", j+1, v.Property.Name)
			default:
				fmt.Fprintf(&b, "    ok %d %s\n", j+1, v.Property.Name)
			}
		}
		if allOK {
			fmt.Fprintf(&b, "ok %d %s\n", i+1, vr.Variant.Name)
		} else {
			fmt.Fprintf(&b, "not ok %d %s\n", i+1, vr.Variant.Name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes a summary fit for a pull-request comment or a CI
// job summary: a verdict table, then each violation's trace in a folded
// block.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", r.Title)
	if len(r.Variants) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("| property |")
	for _, vr := range r.Variants {
		fmt.Fprintf(&b, " `%s` |", vr.Variant.Name)
	}
	b.WriteString("\n|---|")
	for range r.Variants {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for i, p := range r.Variants[0].Verdicts {
		fmt.Fprintf(&b, "| %s |", p.Property.Name)
		for _, vr := range r.Variants {
			v := vr.Verdicts[i]
			cell := "ok"
			switch {
			case !v.Holds() && v.Gating:
				cell = fmt.Sprintf("**violated** (depth %d)", v.Depth)
			case !v.Holds():
				cell = fmt.Sprintf("violated (depth %d, %s)", v.Depth, v.notGating())
			case !v.Complete:
				cell = "incomplete"
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, vr := range r.Variants {
		fmt.Fprintf(&b, "`%s`: %s, bound %d, %d states, %.1f s.  \n", vr.Variant.Name, vr.Scope, vr.Bound, vr.States, vr.Seconds)
	}
	for _, vr := range r.Variants {
		for _, v := range vr.Verdicts {
			if v.Holds() || v.Trace == nil {
				continue
			}
			var t strings.Builder
			if err := WriteText(&t, v.Trace); err != nil {
				return err
			}
			fmt.Fprintf(&b, "\n<details><summary><code>%s</code>: %s %s</summary>\n\n```\n%s```\n</details>\n",
				vr.Variant.Name, v.Property.Name, v.Status(), t.String())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteFileAtomic writes a file through a temporary file in the target's
// directory and a rename, so an interrupted run never leaves a truncated
// file behind. The file gets mode 0644 less the umask, as os.Create would
// give it (os.CreateTemp's 0600 would hide CI artifacts from other users).
// A path that names a directory is refused; the directories of the path
// are created if missing.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	if path == "" {
		return errors.New("no output file named")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory: name a file to write", path)
	}
	if strings.HasSuffix(path, string(filepath.Separator)) {
		return fmt.Errorf("%s names a directory (it ends in %c): name a file to write", path, filepath.Separator)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	f, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// createTemp creates a new file in dir named prefix and a random number,
// as os.CreateTemp does, but with mode 0644: the kernel takes the umask
// (and a default ACL) off, as for any file a program creates.
func createTemp(dir, prefix string) (*os.File, error) {
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if os.IsExist(err) && try < 10000 {
			continue
		}
		return f, err
	}
}
