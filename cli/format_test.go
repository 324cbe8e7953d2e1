package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/run"
	"anoncheck/version"
)

// TestMarkdownMatrix checks that with --format markdown the main command's
// matrices are Markdown tables, which render in $GITHUB_STEP_SUMMARY, and
// a variant's text report is fenced.
func TestMarkdownMatrix(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4,khlebnikov-fix-v1", "--bound", "1", "--format", "markdown", "--traces=false")
	if code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	lines := strings.Split(out, "\n")
	var tables [][]string
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "| variant |") {
			continue
		}
		if i == 0 || lines[i-1] != "" {
			t.Errorf("no blank line before the table at line %d", i+1)
		}
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "|") {
			j++
		}
		tables = append(tables, lines[i:j])
		i = j
	}
	if len(tables) != 2 {
		t.Fatalf("%d tables, want the verdicts and the coverage:\n%s", len(tables), out)
	}
	for _, tb := range tables {
		if len(tb) != 4 || !strings.HasPrefix(tb[1], "| --- | ---: |") {
			t.Errorf("table of %d lines, want a header, a delimiter and 2 rows:\n%s", len(tb), strings.Join(tb, "\n"))
		}
		for _, l := range tb {
			if strings.Count(l, "|") != strings.Count(tb[0], "|") || !strings.HasSuffix(l, " |") {
				t.Errorf("ragged row %q", l)
			}
		}
	}
	if !strings.Contains(tables[0][3], "| khlebnikov-fix-v1 | ok | ok | 1 |") {
		t.Errorf("khlebnikov-fix-v1's row: %q", tables[0][3])
	}
	if strings.Contains(out, "\n v5.4 ") {
		t.Errorf("a text matrix row in Markdown:\n%s", out)
	}
	_, out, _ = runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--format", "markdown")
	if !strings.HasPrefix(out, "```text\nvariant khlebnikov-fix-v1:") || !strings.Contains(out, "  hierarchy-growth          holds (bound 1)\n```\n") ||
		!strings.Contains(out, "\n### anoncheck: `own-anon-vma-linked` violated by `khlebnikov-fix-v1`") {
		t.Errorf("one variant's Markdown report:\n%.1500s", out)
	}
}

// TestJSONReport checks that --format json prints one JSON document that
// decodes into run.Report, field for field, with the stable names scripts
// read: the matrix, statistics, limits, stop reasons, coverage and the
// files written.
func TestJSONReport(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "--spec", "v5.4,khlebnikov-fix-v1", "--bound", "1", "--format", "json", "--out", dir, "--max-states", "2000000")
	if code != run.ExitViolation {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errs, out)
	}
	var rep run.Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("the report does not decode: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatal("more than one JSON document on stdout")
	}
	if rep.Format != "anoncheck-report" || rep.Version != 1 || rep.Tool != version.String() || rep.Exit != 1 || rep.Bound != 1 ||
		rep.Scope.Pages != 2 || rep.Scope.Symmetry != "full" || len(rep.Scope.Ops) != 7 || rep.Limits.MaxStates != 2000000 ||
		len(rep.Properties) != 11 || rep.Properties[0].Name != "rmap-reachable" || len(rep.Variants) != 2 {
		t.Fatalf("report %+v", rep)
	}
	v54, fix := rep.Variants[0], rep.Variants[1]
	if v54.Variant != "v5.4" || !v54.Complete || v54.Stop != "finished" || v54.Exit != 0 || v54.Verdicts[0].Verdict != "holds" ||
		v54.Stats.States <= 1445 || v54.Stats.InitialLayouts != 1445 || len(v54.Stats.PerDepth) != 2 || v54.Coverage.Operations["fork"] == 0 ||
		v54.Coverage.Functions["anon_vma_clone"] == 0 || len(v54.Traces) != 0 {
		t.Errorf("v5.4: %+v", v54)
	}
	link := fix.Verdicts[2]
	if fix.Exit != 1 || link.Property != "own-anon-vma-linked" || link.Verdict != "violated" || link.Depth == nil || *link.Depth != 1 {
		t.Errorf("khlebnikov-fix-v1: %+v, link %+v", fix, link)
	}
	if len(fix.Traces) != 2 || fix.Traces[0].JSON != filepath.Join(dir, "khlebnikov-fix-v1.own-anon-vma-linked.json") ||
		len(rep.Files) != 2 || rep.Files[0] != fix.Traces[0].JSON {
		t.Errorf("traces %+v, files %v", fix.Traces, rep.Files)
	}
	for _, f := range rep.Files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("file listed: %v", err)
		}
	}
	// The field names, as scripts read them.
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"format", "version", "tool", "exit", "bound", "scope", "limits", "properties", "variants", "not_checked", "files"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in the report", k)
		}
	}
	variant := raw["variants"].([]any)[1].(map[string]any)
	for _, k := range []string{"variant", "config", "complete", "incomplete", "stop", "exit", "verdicts", "stats", "coverage", "traces"} {
		if _, ok := variant[k]; !ok {
			t.Errorf("no %q in a variant", k)
		}
	}

	// An incomplete run says why, and its verdicts are unknown.
	code, out, _ = runCLI(t, "--spec", "v5.4", "--bound", "3", "--format", "json", "--max-states", "3000")
	rep = run.Report{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != run.ExitIncomplete || rep.Exit != 3 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if v := rep.Variants[0]; v.Complete || v.Stop != "state-limit" || len(v.Incomplete) != 1 || v.Incomplete[0] != "stopped" || v.Verdicts[0].Verdict != "unknown" {
		t.Errorf("incomplete run: %+v", v)
	}
	if code, _, errs := runCLI(t, "--format", "json", "--traces"); code != run.ExitUsage || !strings.Contains(errs, "--traces: with --format json") {
		t.Errorf("--traces with json: exit %d, %q", code, errs)
	}
}

// TestHuntJSONReport checks hunt --format json: what the hunt covered and
// found, in one document that decodes into run.HuntReport.
func TestHuntJSONReport(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "hunt", "--spec", "khlebnikov-fix-v1", "--time", "30s", "--progress", "never", "--format", "json", "--out", dir)
	if code != run.ExitViolation {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errs, out)
	}
	var rep run.HuntReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("the report does not decode: %v\n%s", err, out)
	}
	if rep.Format != "anoncheck-hunt" || rep.Version != 1 || rep.Exit != 1 || rep.Seed != 1 || len(rep.Variants) != 1 {
		t.Fatalf("report %+v", rep)
	}
	h := rep.Variants[0]
	if h.Finding == nil || h.Finding.Property == "" || h.Finding.Operations < 1 || h.Finding.Trace == nil || len(rep.Files) != 1 ||
		rep.Files[0] != h.Finding.Trace.JSON || h.Covered.Members != len(h.Members) || h.Covered.Members < 1 || h.Members[0].Kind != "bfs" ||
		!h.Members[len(h.Members)-1].Found || h.Coverage.Operations["fork"] == 0 {
		t.Errorf("hunt %+v, finding %+v, files %v", h, h.Finding, rep.Files)
	}
}
