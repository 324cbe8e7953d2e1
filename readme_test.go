package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"anoncheck/specs"
)

// TestReadmeExamples runs the examples of README.md as a reader would, with
// the built command on PATH as anoncheck, and checks what the README says
// of them. Every code block that calls anoncheck (or go run .) carries a
// marker on the line before it, an HTML comment GitHub does not show:
//
//	<!-- readme-test: exit 1 -->            run it; each command exits 1
//	<!-- readme-test: exit 1, bound 2 -->   the same with --bound 2 (cheaper)
//	<!-- readme-test: exit 2, loose REASON -->  run it, but what it prints
//	                                        varies (REASON): exit status only
//	<!-- readme-test: skip REASON -->       not run, for the reason given
//
// In a sh block each command line (a line ending in \ continues it) runs
// in bash, in a directory of its own for the block that links the
// repository's directories (readmeWorkDir), so later lines see what
// earlier ones wrote; a comment "# exit N" on the line overrides the
// block's status. Lines calling go other than go run . are not run (the
// test is already built), nor gcc lines where gcc is missing (outside CI).
// In an output block, each "$ anoncheck ..." line is a command and the
// lines after it, up to the next "$", must appear in order in what it
// prints (stdout and stderr), compared with blanks collapsed and timings
// masked (see readmeMask). A block that calls anoncheck without a marker
// fails the test, so no example goes unchecked by accident.
func TestReadmeExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs the README's examples (about a minute)")
	}
	blocks, err := readmeBlocks("README.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "anoncheck"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ran := 0
	for _, b := range blocks {
		if b.skip != "" {
			t.Logf("README.md:%d: not run: %s", b.line, b.skip)
			continue
		}
		work := readmeWorkDir(t, filepath.Join(dir, fmt.Sprintf("block%d", b.line)))
		for _, c := range b.cmds {
			if reason := readmeNotRun(c.text); reason != "" {
				if os.Getenv("CI") == "true" && strings.HasPrefix(reason, "gcc") {
					t.Errorf("README.md:%d: %s; CI must run it", c.line, reason)
				}
				t.Logf("README.md:%d: not run (%s): %s", c.line, reason, c.text)
				continue
			}
			cmdline := c.text
			if b.bound >= 0 {
				cmdline = readmeBound.ReplaceAllString(cmdline, "--bound "+strconv.Itoa(b.bound))
			}
			cmdline = strings.Replace(cmdline, "go run . ", "anoncheck ", 1)
			t0 := time.Now()
			code, out := readmeRun(t, work, bin, cmdline)
			t.Logf("README.md:%d: exit %d in %s: %s", c.line, code, time.Since(t0).Round(time.Millisecond), cmdline)
			ran++
			if code != c.exit {
				t.Errorf("README.md:%d: %s\nexited %d, the README says %d; it printed:\n%s", c.line, cmdline, code, c.exit, out)
				continue
			}
			if b.loose != "" {
				continue
			}
			if missing, ok := readmeContains(out, c.want); !ok {
				t.Errorf("README.md:%d: %s\ndoes not print (in this order) the README's line\n\t%s\nit printed:\n%s", c.line, cmdline, missing, out)
			}
		}
	}
	if ran == 0 {
		t.Fatal("no README example was run: are the readme-test markers gone?")
	}
}

// TestReadmeListsEveryVariant checks that the README's table of variants
// (its "## Variants" section, a row per variant starting "| `NAME` |")
// names every registered variant, and nothing else, in the order
// anoncheck specs lists them: a new variant or generation is documented
// where a reader looks for it.
func TestReadmeListsEveryVariant(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Variants\n")
	if !ok {
		t.Fatal("README.md has no \"## Variants\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var listed []string
	for _, m := range readmeVariantRow.FindAllStringSubmatch(section, -1) {
		listed = append(listed, m[1])
	}
	var want []string
	for _, v := range specs.All() {
		want = append(want, v.Name)
	}
	if strings.Join(listed, " ") != strings.Join(want, " ") {
		t.Errorf("README.md's variant table lists\n\t%s\nanoncheck specs lists\n\t%s", strings.Join(listed, " "), strings.Join(want, " "))
	}
}

// readmeVariantRow matches a row of the README's table of variants.
var readmeVariantRow = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")

// readmeBlock is one marked code block of the README.
type readmeBlock struct {
	line  int    // of its opening fence
	skip  string // why it is not run; "" runs it
	loose string // why its output is not compared; "" compares it
	bound int    // replaces every --bound value; -1 keeps them
	cmds  []readmeCmd
}

// readmeCmd is one command of a block and what the README says of it.
type readmeCmd struct {
	line int
	text string
	exit int
	want []string // output lines it must print (output blocks)
}

var (
	readmeMarker = regexp.MustCompile(`^<!-- readme-test: (.*) -->$`)
	readmeExit   = regexp.MustCompile(`#.*\bexit (\d+)`)
	readmeBound  = regexp.MustCompile(`--bound \d+`)
	// readmeCalls matches a line that runs anoncheck: an sh block's
	// command, or an output block's "$ " line.
	readmeCalls = regexp.MustCompile(`^(\$ )?(anoncheck |go run \.( |$)|for .*\banoncheck )`)
)

// readmeBlocks reads the code blocks of the README that call anoncheck,
// with their markers. A block that calls it with no marker, or a marker
// with no block after it, is an error.
func readmeBlocks(path string) ([]readmeBlock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(data), "\n")
	var out []readmeBlock
	marker, markerLine := "", 0
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " ")
		if m := readmeMarker.FindStringSubmatch(l); m != nil {
			marker, markerLine = m[1], i+1
			continue
		}
		if !strings.HasPrefix(l, "```") {
			if l != "" && marker != "" {
				return nil, fmt.Errorf("%s:%d: a readme-test marker must be followed by a code block", path, markerLine)
			}
			continue
		}
		lang, start := strings.TrimPrefix(l, "```"), i+1
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		calls := false
		for _, b := range body {
			calls = calls || readmeCalls.MatchString(strings.TrimSpace(b))
		}
		m := marker
		marker = ""
		if !calls {
			if m != "" {
				return nil, fmt.Errorf("%s:%d: a readme-test marker on a block that calls no anoncheck", path, markerLine)
			}
			continue
		}
		if m == "" {
			return nil, fmt.Errorf("%s:%d: a code block that calls anoncheck has no readme-test marker before it (<!-- readme-test: exit N --> or <!-- readme-test: skip REASON -->)", path, start)
		}
		b := readmeBlock{line: start, bound: -1}
		exit := 0
		opts := strings.Split(m, ",")
		for i, opt := range opts {
			f := strings.Fields(opt)
			if len(f) >= 2 && (f[0] == "skip" || f[0] == "loose") {
				// The reason is the rest of the marker, commas and all.
				reason := strings.TrimSpace(strings.Join(opts[i:], ","))
				reason = strings.TrimSpace(strings.TrimPrefix(reason, f[0]))
				if f[0] == "skip" {
					b.skip = reason
				} else {
					b.loose = reason
				}
				break
			}
			switch {
			case len(f) == 2 && (f[0] == "exit" || f[0] == "bound"):
				n, err := strconv.Atoi(f[1])
				if err != nil || n < 0 {
					return nil, fmt.Errorf("%s:%d: readme-test: bad %s %q", path, markerLine, f[0], f[1])
				}
				if f[0] == "exit" {
					exit = n
				} else {
					b.bound = n
				}
			default:
				return nil, fmt.Errorf("%s:%d: readme-test: unknown option %q (exit N, bound N, loose REASON, skip REASON)", path, markerLine, opt)
			}
		}
		if lang == "sh" {
			b.cmds = readmeShell(body, start, exit)
		} else {
			b.cmds = readmeOutput(body, start, exit)
		}
		out = append(out, b)
	}
	if marker != "" {
		return nil, fmt.Errorf("%s:%d: a readme-test marker must be followed by a code block", path, markerLine)
	}
	return out, nil
}

// readmeShell reads the commands of an sh block.
func readmeShell(body []string, start, exit int) []readmeCmd {
	var cmds []readmeCmd
	for j := 0; j < len(body); j++ {
		line := start + 1 + j
		text := strings.TrimSpace(body[j])
		for strings.HasSuffix(text, `\`) && j+1 < len(body) {
			j++
			text = strings.TrimSuffix(text, `\`) + " " + strings.TrimSpace(body[j])
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		c := readmeCmd{line: line, text: text, exit: exit}
		if m := readmeExit.FindStringSubmatch(text); m != nil {
			c.exit, _ = strconv.Atoi(m[1])
		}
		cmds = append(cmds, c)
	}
	return cmds
}

// readmeOutput reads the "$ " commands of an output block and the lines
// shown after each.
func readmeOutput(body []string, start, exit int) []readmeCmd {
	var cmds []readmeCmd
	for j, l := range body {
		if text, ok := strings.CutPrefix(l, "$ "); ok {
			c := readmeCmd{line: start + 1 + j, text: text, exit: exit}
			if m := readmeExit.FindStringSubmatch(text); m != nil {
				c.exit, _ = strconv.Atoi(m[1])
			}
			cmds = append(cmds, c)
			continue
		}
		if len(cmds) > 0 && strings.TrimSpace(l) != "" {
			c := &cmds[len(cmds)-1]
			c.want = append(c.want, l)
		}
	}
	return cmds
}

// readmeWorkDir makes a block's directory: the examples run from the top
// of the repository (they read traces/testdata, say), so it links every
// directory of the repository but those the examples write (out, parts,
// hunt). Files are not linked, so that nothing an example writes lands in
// the repository.
func readmeWorkDir(t *testing.T, work string) string {
	t.Helper()
	if err := os.MkdirAll(work, 0o777); err != nil {
		t.Fatal(err)
	}
	top, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(top)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case !e.IsDir() || strings.HasPrefix(name, ".") || name == "out" || name == "parts" || name == "hunt":
		default:
			if err := os.Symlink(filepath.Join(top, name), filepath.Join(work, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return work
}

// readmeNotRun says why a command line is not run, or "".
func readmeNotRun(text string) string {
	switch f := strings.Fields(text); {
	case f[0] == "go" && !strings.HasPrefix(text, "go run . "):
		return "go commands other than go run . are what this test runs in"
	case f[0] == "gcc":
		if _, err := exec.LookPath("gcc"); err != nil {
			return "gcc not found"
		}
	}
	return ""
}

// readmeRun runs a command line in bash in dir, with bin first on PATH,
// and returns its exit status and what it printed.
func readmeRun(t *testing.T, dir, bin, cmdline string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-c", cmdline)
	c.Dir = dir
	c.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	if e, ok := err.(*exec.ExitError); ok {
		return e.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("%s: %v", cmdline, err)
	}
	return 0, out.String()
}

// readmeTimings are what changes from run to run in what anoncheck
// prints: durations (81ms, 10.125s, 1m2s), decimal numbers (the matrix's
// seconds column; other decimals such as estimates are masked with them),
// rates and heap sizes.
var readmeTimings = []*regexp.Regexp{
	regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b`),
	regexp.MustCompile(`\b\d+\.\d+\b`),
	regexp.MustCompile(`\b\d+ states/s\b`),
	regexp.MustCompile(`\bheap \d+ MiB\b`),
}

// readmeMask masks timings and collapses blanks.
func readmeMask(s string) string {
	for _, re := range readmeTimings {
		s = re.ReplaceAllString(s, "#")
	}
	return strings.Join(strings.Fields(s), " ")
}

// readmeContains reports whether every line of want appears, masked, as a
// line of out, in order; if not, it returns the first that does not.
func readmeContains(out string, want []string) (string, bool) {
	got := strings.Split(out, "\n")
	k := 0
	for _, w := range want {
		mw := readmeMask(w)
		for k < len(got) && readmeMask(got[k]) != mw {
			k++
		}
		if k == len(got) {
			return w, false
		}
		k++
	}
	return "", true
}
