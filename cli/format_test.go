package cli

import (
	"strings"
	"testing"

	"anoncheck/run"
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
