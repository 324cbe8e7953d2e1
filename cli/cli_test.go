package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// init registers a variant that only the CLI tests see: do_anonymous_page()
// without anon_vma_prepare(), which oopses on the first write.
func init() {
	specs.Register(&specs.Variant{
		Name:    "test-no-prepare",
		Follows: "test mutation of v5.4",
		Base:    "v5.4",
		Patch: func(f *transitions.Funcs) {
			f.DoAnonymousPage = func(k *transitions.Kernel, vma state.VMAID, addr uint8) int {
				k.F.AnonVMAPrepare = func(*transitions.Kernel, state.VMAID) int { return 0 }
				return v5.DoAnonymousPageV54(k, vma, addr)
			}
		},
	})
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "--help" {
		args = append([]string{"--progress", "never"}, args...)
	}
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckHolds(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4", "--pages", "1", "--procs", "2", "--bound", "2")
	if code != run.ExitOK {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	for _, want := range []string{"variant v5.4", "scope: pages=1 procs=2 prots=r,rw, bound 2 (config ",
		"rmap-reachable", "holds (bound 2)", "states per depth:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckFixpoint(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4", "--pages", "1", "--procs", "1", "--bound", "0")
	if code != run.ExitOK || !strings.Contains(out, "holds (fixpoint)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestCheckViolationExit1WithTrace(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "test-no-prepare", "--pages", "1", "--procs", "1", "--bound", "1")
	if code != run.ExitViolation {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"kernel-bug", "VIOLATED at depth 0",
		"anoncheck: kernel-bug violated by test-no-prepare in its initial layout",
		"__page_set_anon_rmap: BUG_ON(!anon_vma)", "write(P1, 0)", "do_anonymous_page"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestMaxStatesExit3(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4", "--max-states", "50")
	if code != run.ExitIncomplete {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	if !strings.Contains(out, "stopped by --max-states") || strings.Contains(out, "holds (") {
		t.Fatalf("an incomplete run must say so and claim nothing holds:\n%s", out)
	}
}

func TestBadInputExit2(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--pages", "0"}, "--pages 0: must be between 1 and 8"},
		{[]string{"--procs", "9"}, "--procs 9: must be between 1 and 4"},
		{[]string{"--pages", "8", "--procs", "4"}, "--pages 8 with --procs 4"},
		{[]string{"--bound", "-1"}, "--bound -1"},
		{[]string{"--prots", "rq"}, `--prots "rq"`},
		{[]string{"--spec", "v9.9"}, `unknown variant "v9.9" (known: v5.4`},
		{[]string{"--spec", ""}, `--spec "": empty, most likely an unset variable`},
		{[]string{"properties", "--bound", "3"}, "unknown flag: --bound (see anoncheck properties --help)"},
		{[]string{"specs", "--pages", "9"}, "unknown flag: --pages (see anoncheck specs --help)"},
		{[]string{"diff", "v5.4", "v5.7", "--format", "html"}, "unknown flag: --format (see anoncheck diff --help)"},
		{[]string{"--spec", "v5.4,v5.7,v5.4"}, `--spec "v5.4,v5.7,v5.4": v5.4 is named twice`},
		{[]string{"--progress", "sometimes"}, `--progress "sometimes"`},
		{[]string{"--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"extra-arg"}, "unknown command"},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, c.args...)
		if code != run.ExitUsage {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(errs, c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errs, c.want)
		}
		if out != "" {
			t.Errorf("%v: wrote to stdout on bad input: %q", c.args, out)
		}
	}
}

func TestPropertiesCommand(t *testing.T) {
	code, out, _ := runCLI(t, "properties")
	if code != run.ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, p := range specs.Properties() {
		if !strings.Contains(out, p.Name) || !strings.Contains(out, p.Failure) {
			t.Errorf("properties output lacks %s", p.Name)
		}
	}
}

func TestHelpHasExamples(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	if code != run.ExitOK || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--bound") {
		t.Fatalf("exit %d, help:\n%s", code, out)
	}
}

func TestMatrixForSeveralVariants(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4,khlebnikov-fix-v1", "--pages", "2", "--procs", "2", "--bound", "1")
	if code != run.ExitViolation {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	var v54, fix string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "v5.4" && v54 == "" {
			v54 = l
		}
		if len(f) > 0 && f[0] == "khlebnikov-fix-v1" && fix == "" {
			fix = l
		}
	}
	if !strings.Contains(out, "verdicts (bound 1;") || v54 == "" || fix == "" {
		t.Fatalf("no matrix rows:\n%s", out)
	}
	if strings.Fields(v54)[3] != "ok" || strings.Fields(fix)[3] != "1" {
		t.Errorf("link column: v5.4 %q, khlebnikov-fix-v1 %q; want ok and 1", v54, fix)
	}
	tr := strings.Index(out, "anoncheck: own-anon-vma-linked violated by khlebnikov-fix-v1 after 1 operation(s)")
	if tr < 0 || tr < strings.Index(out, "verdicts (bound 1;") {
		t.Errorf("the trace does not follow the matrix:\n%s", out)
	}
	_, out, _ = runCLI(t, "--spec", "v5.4,khlebnikov-fix-v1", "--pages", "2", "--procs", "2", "--bound", "1", "--traces=false")
	if strings.Contains(out, "violated by khlebnikov-fix-v1") {
		t.Errorf("--traces=false printed a trace:\n%s", out)
	}
}

func TestSpecsCommand(t *testing.T) {
	code, out, _ := runCLI(t, "specs")
	if code != run.ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, v := range specs.All() {
		if !strings.Contains(out, v.Name+"\n") || !strings.Contains(out, v.Follows) {
			t.Errorf("specs output lacks %s", v.Name)
		}
	}
}

func TestGate(t *testing.T) {
	dir := t.TempDir()
	junit, ktap, md := dir+"/r.xml", dir+"/r.ktap", dir+"/r.md"
	code, out, _ := runCLI(t, "gate", "--spec", "khlebnikov-fix-v1", "--baseline", "v5.5-rc5", "--bound", "1",
		"--progress", "never", "--junit", junit, "--ktap", ktap, "--markdown", md)
	if code != run.ExitViolation || !strings.Contains(out, "FAIL: khlebnikov-fix-v1 violates a safety property that v5.5-rc5 satisfies") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if len(suites.Suites) != 2 || suites.Suites[0].Failures == 0 || suites.Suites[1].Failures != 0 ||
		suites.Suites[0].Tests != len(specs.Properties())-1 {
		t.Fatalf("JUnit suites %+v", suites.Suites)
	}
	k, _ := os.ReadFile(ktap)
	if !strings.HasPrefix(string(k), "KTAP version 1\n1..2\n") || !strings.Contains(string(k), "    not ok 3 own-anon-vma-linked\n") ||
		!strings.Contains(string(k), "\nnot ok 1 khlebnikov-fix-v1\n") || !strings.Contains(string(k), "\nok 2 v5.5-rc5\n") {
		t.Fatalf("KTAP:\n%s", k)
	}
	m, _ := os.ReadFile(md)
	if !strings.Contains(string(m), "| own-anon-vma-linked | **violated** (depth 1) | ok |") || !strings.Contains(string(m), "<details>") {
		t.Fatalf("Markdown:\n%s", m)
	}

	// The same violation in the baseline does not fail the gate.
	code, out, _ = runCLI(t, "gate", "--spec", "khlebnikov-fix-v1", "--baseline", "khlebnikov-fix-v1", "--bound", "1", "--progress", "never")
	if code != run.ExitOK || !strings.Contains(out, "(the baseline violates it too)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "gate", "--spec", "v5.7", "--bound", "1", "--progress", "never")
	if code != run.ExitOK || !strings.Contains(out, "PASS: v5.7") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "gate", "--spec", "v5.7", "--max-states", "10", "--progress", "never")
	if code != run.ExitIncomplete || !strings.Contains(out, "INCOMPLETE") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	// A violation against a baseline whose run did not finish decides
	// nothing: the baseline might violate the property further on.
	code, out, _ = runCLI(t, "gate", "--spec", "khlebnikov-fix-v1", "--baseline", "v5.4", "--bound", "2", "--max-states", "5000", "--progress", "never",
		"--junit", junit, "--ktap", ktap, "--markdown", md)
	if code != run.ExitIncomplete || !strings.Contains(out, "INCOMPLETE") || !strings.Contains(out, "(undecided: the baseline run did not finish)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	// The files CI reads say so too, not "not gating" as for a violation
	// the baseline shares.
	for _, f := range []string{junit, ktap, md} {
		data, _ := os.ReadFile(f)
		if !strings.Contains(string(data), "undecided: the baseline run did not finish") || strings.Contains(string(data), "not gating") {
			t.Errorf("%s:\n%s", f, data)
		}
	}
}

func TestGateBadInput(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"gate"}, "--spec CANDIDATE is required"},
		{[]string{"gate", "--spec", "nope"}, `unknown variant "nope"`},
		{[]string{"gate", "--spec", "v5.4", "--baseline", "nope"}, `--baseline: unknown variant "nope"`},
		{[]string{"gate", "--spec", "v5.4", "--junit", file + "/dir/x.xml"}, `--junit "` + file + `/dir/x.xml": "` + file + `" is not a directory`},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, c.args...)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.args, code, errs, out, c.want)
		}
	}
}

func TestDiff(t *testing.T) {
	code, out, _ := runCLI(t, "diff", "v5.4", "v5.5-rc5", "--bound", "2", "--progress", "never")
	if code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"diff v5.4 v5.5-rc5: they first differ after 1 operation(s)",
		"=== under v5.4", "=== under v5.5-rc5", "1.   fork(P1)",
		// v5.4 gives the child's second VMA its own anon_vma; v5.5-rc5
		// shares the parent's (Khlebnikov, 6 Jan 2020).
		"D [1,2) rw- account anon_vma=av3 chain=[av3 av1]",
		"D [1,2) rw- account anon_vma=av1 chain=[av1]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "diff", "v5.4", "v5.4", "--bound", "2", "--progress", "never")
	if code != run.ExitOK || !strings.Contains(out, "no difference within the bound") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, _, errs := runCLI(t, "diff", "v5.4")
	if code != run.ExitUsage || !strings.Contains(errs, "diff takes two variant names, got 1") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestOutAndReplay(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--out", dir, "--traces=false")
	if code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	file := dir + "/khlebnikov-fix-v1.own-anon-vma-linked.json"
	code, out, _ = runCLI(t, "replay", file)
	if code != run.ExitViolation || !strings.Contains(out, "own-anon-vma-linked still fails under khlebnikov-fix-v1") ||
		!strings.Contains(out, "D [1,2) rw- account anon_vma=av2 chain=[av1]") {
		t.Fatalf("replay under the same variant: exit %d:\n%s", code, out)
	}
	for _, fixed := range []string{"v5.5-rc5", "khlebnikov-fix-v2", "v6.1"} {
		code, out, _ = runCLI(t, "replay", file, "--spec", fixed, "--quiet")
		if code != run.ExitOK || !strings.Contains(out, "now holds under "+fixed) {
			t.Fatalf("replay under %s: exit %d:\n%s", fixed, code, out)
		}
	}

	data, _ := os.ReadFile(file)
	bad := map[string]struct{ content, want string }{
		"garbage.json": {"{not json", "garbage.json: not a trace file"},
		"version.json": {strings.Replace(string(data), `"version": 1`, `"version": 7`, 1), "format version 7; this anoncheck reads version 1"},
		"variant.json": {strings.Replace(string(data), `"variant": "khlebnikov-fix-v1"`, `"variant": "v9"`, 1), `unknown variant "v9"`},
		"op.json":      {strings.Replace(string(data), `"op": "fork"`, `"op": "clone3"`, 1), `unknown operation "clone3"`},
		"process.json": {strings.Replace(string(data), `"op": "fork",
      "proc": 1`, `"op": "fork",
      "proc": 2`, 1), "fork(P2): process P2 does not exist"},
		"property.json": {strings.Replace(string(data), `"property": "own-anon-vma-linked"`, `"property": "nope"`, 1), `unknown property "nope"`},
		// Edited files: under its own variant a replay must not answer
		// "now holds" for a trace it did not reproduce.
		"noproperty.json": {edit(t, data, func(f map[string]any) { delete(f, "property") }), "no property named"},
		"nosteps.json":    {edit(t, data, func(f map[string]any) { f["steps"] = []any{} }), "no steps"},
		"twice.json":      {string(data) + string(data), "data after the trace"},
		"brace.json":      {string(data) + "}", "data after the trace"},
		"noresult.json":   {edit(t, data, func(f map[string]any) { delete(step(f, 0), "result") }), "step 1 (mmap): no result recorded"},
		"nodigest.json":   {edit(t, data, func(f map[string]any) { delete(step(f, 2), "digest") }), `step 3 (mprotect): digest "" is not 16 hexadecimal digits`},
		"latesetup.json": {edit(t, data, func(f map[string]any) { delete(step(f, 1), "setup") }),
			"step 3 (mprotect): a setup step after an operation"},
		"baddigest.json": {edit(t, data, func(f map[string]any) { step(f, 0)["digest"] = "zzz" }), `step 1 (mmap): digest "zzz" is not 16 hexadecimal digits`},
		"digest.json":    {edit(t, data, func(f map[string]any) { step(f, 1)["digest"] = "0123456789abcdef" }), "step 2 (write): the state after it has digest"},
		"result.json":    {edit(t, data, func(f map[string]any) { step(f, 0)["result"] = "-ENOMEM" }), "step 1 (mmap): returned 0, the file records -ENOMEM"},
		"skipped.json": {edit(t, data, func(f map[string]any) {
			steps := f["steps"].([]any)
			f["steps"] = steps[1:]
		}), "step 1 (write): "},
	}
	for name, c := range bad {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCLI(t, "replay", p)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 2 and one line with %q", name, code, errs, out, c.want)
		}
	}
	code, _, _ = runCLI(t, "--spec", "khlebnikov-fix-v1", "--out", dir+"/new/dir", "--bound", "1", "--traces=false", "--progress", "never")
	if _, err := os.Stat(dir + "/new/dir/khlebnikov-fix-v1.own-anon-vma-linked.json"); code != run.ExitViolation || err != nil {
		t.Errorf("--out to a missing directory: exit %d, %v; want it created and the traces in it", code, err)
	}
	code, _, errs := runCLI(t, "--out", file, "--bound", "1")
	if code != run.ExitUsage || !strings.Contains(errs, "--out") || !strings.Contains(errs, "cannot create the directory") {
		t.Errorf("--out to a file: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCLI(t, "--out", "/proc", "--bound", "1")
	if code != run.ExitUsage || !strings.Contains(errs, `--out "/proc": cannot write in it`) {
		t.Errorf("--out /proc: exit %d, stderr %q", code, errs)
	}
	code, _, _ = runCLI(t, "--spec", "v5.4", "--out", dir+"/refused", "--checkpoint", dir+"/no/ckpt", "--checkpoint-every", "0s", "--bound", "1")
	for _, d := range []string{"/refused", "/no"} {
		if _, err := os.Stat(dir + d); code != run.ExitUsage || err == nil {
			t.Errorf("a refused command: exit %d, and it left %s%s behind (%v)", code, dir, d, err)
		}
	}
}

// edit changes a trace file through its JSON.
func edit(t *testing.T, data []byte, change func(map[string]any)) string {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	change(f)
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func step(f map[string]any, i int) map[string]any { return f["steps"].([]any)[i].(map[string]any) }

func TestTimeoutAndMemoryLimits(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4", "--bound", "8", "--timeout", "300ms", "--traces=false")
	if code != run.ExitIncomplete || !strings.Contains(out, "stopped by --timeout") || strings.Contains(out, "holds (") {
		t.Fatalf("--timeout: exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "--spec", "v5.4", "--bound", "8", "--max-memory", "48MiB", "--force", "--traces=false")
	if code != run.ExitIncomplete || !strings.Contains(out, "stopped by --max-memory") || strings.Contains(out, "holds (") {
		t.Fatalf("--max-memory: exit %d:\n%s", code, out)
	}
	// Without --force the size estimate's pilot runs first, and it keeps
	// the limit: the pilot, or the run after it, stops.
	code, out, _ = runCLI(t, "--spec", "v5.4", "--bound", "5", "--max-memory", "48MiB", "--traces=false")
	if code != run.ExitIncomplete || !strings.Contains(out, "stopped by --max-memory") || strings.Contains(out, "holds (") {
		t.Fatalf("--max-memory through the pilot: exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "-1s"}, "--timeout -1s: must not be negative"},
		{[]string{"--max-memory", "17179869184GiB"}, "larger than 16 EiB"},
		{[]string{"--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{[]string{"--max-memory", "lots"}, `--max-memory "lots": use auto, 0 or a size like 2GiB`},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

func TestFormatMarkdown(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--format", "markdown")
	if code != run.ExitViolation || !strings.Contains(out, "vmaD ==>|anon_vma, not on chain| av2") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, _, errs := runCLI(t, "--format", "html5")
	if code != run.ExitUsage || !strings.Contains(errs, `--format "html5": must be text, markdown or html`) {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// TestFormatHTMLAndReplay checks that --format html writes one page per
// trace, without network references; replay keeps its verdict off stdout so
// the page can be redirected to a file whole.
func TestFormatHTMLAndReplay(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--format", "html", "--out", dir)
	page, _ := os.ReadFile(filepath.Join(dir, "khlebnikov-fix-v1.own-anon-vma-linked.html"))
	if code != run.ExitViolation || !strings.HasPrefix(string(page), "<!DOCTYPE html>") || strings.Contains(string(page), "http://") {
		t.Fatalf("exit %d:\n%.400s", code, out)
	}
	file := filepath.Join(dir, "khlebnikov-fix-v1.own-anon-vma-linked.json")
	code, out, errs := runCLI(t, "replay", file, "--format", "html")
	if code != run.ExitViolation || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(errs, "still fails") {
		t.Fatalf("replay --format html: exit %d, stderr %q, stdout %.200q", code, errs, out)
	}
}

// TestReproCommand checks that repro writes a C program from a trace file,
// atomically with -o; a bad file is exit 2 naming it. (traces/repro_test.go
// compiles and runs such programs.)
func TestReproCommand(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "2", "--traces=false", "--out", dir)
	file := filepath.Join(dir, "khlebnikov-fix-v1.rmap-reachable.json")
	code, out, errs := runCLI(t, "repro", file)
	if code != run.ExitOK || !strings.Contains(out, "int main(") || !strings.Contains(out, "MAP_FIXED") {
		t.Fatalf("repro: exit %d, stderr %q", code, errs)
	}
	dst := filepath.Join(dir, "r.c")
	if code, _, errs := runCLI(t, "repro", file, "-o", dst); code != run.ExitOK || errs != "wrote "+dst+"\n" {
		t.Fatalf("repro -o: exit %d, stderr %q (want the file named)", code, errs)
	}
	if data, err := os.ReadFile(dst); err != nil || string(data) != out {
		t.Fatalf("repro -o wrote something else than stdout gets (%v)", err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format":"anoncheck-trace","version":7}`), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"repro", bad}, bad + ": "},
		{[]string{"repro", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"repro", file, "-o", filepath.Join(bad, "r.c")}, "is not a directory"},
		{[]string{"repro"}, "repro takes one trace file"},
	} {
		if code, _, errs := runCLI(t, c.args...); code != run.ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// TestCheckpointAndResume checks that a run interrupted by --timeout writes
// a checkpoint and exits 3; resumed from it, the run prints the same
// verdicts and counts as one never interrupted.
func TestCheckpointAndResume(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "v54.ckpt")
	args := []string{"--spec", "v5.4", "--bound", "3", "--traces=false", "--progress", "never"}
	code, full, _ := runCLI(t, args...)
	if code != run.ExitOK {
		t.Fatalf("uninterrupted run: exit %d", code)
	}
	// The timeout must fall after the initial layouts (a run stopped
	// during them writes no checkpoint) and before the end: start short and
	// lengthen it until it does, so that a slow or loaded machine still
	// tests the resume rather than failing on the clock.
	var out string
	for timeout := 50 * time.Millisecond; ; timeout = timeout * 3 / 2 {
		code, out, _ = runCLI(t, append(args, "--checkpoint", ckpt, "--timeout", timeout.String(), "--workers", "1")...)
		if code == run.ExitIncomplete && strings.Contains(out, "checkpoint written to "+ckpt) {
			break
		}
		if code != run.ExitIncomplete || !strings.Contains(out, "stopped during the initial layouts") || timeout > time.Minute {
			t.Fatalf("interrupted run (--timeout %v): exit %d:\n%s", timeout, code, out)
		}
	}
	code, resumed, _ := runCLI(t, append(args, "--resume", ckpt)...)
	if code != run.ExitOK {
		t.Fatalf("resumed run: exit %d:\n%s", code, resumed)
	}
	pick := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "VIOLATED") || strings.Contains(l, "holds") || strings.Contains(l, "states per depth") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if pick(resumed) != pick(full) {
		t.Fatalf("resumed run differs:\n%s\nuninterrupted:\n%s", pick(resumed), pick(full))
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(args[2:], "--resume", ckpt, "--spec", "v5.7"), "another run"},
		{append(args[2:], "--resume", ckpt), "choose one with --spec"},
		{append(args, "--resume", filepath.Join(dir, "none")), "--resume"},
		{append(args, "--checkpoint", filepath.Join(ckpt, "c")), "is not a directory"},
		{append(args, "--checkpoint", dir), "is a directory; name a file"},
		{append(args, "--checkpoint", "/proc/anoncheck.ckpt"), `cannot write in "/proc"`},
		{append(args, "--resume", ckpt, "--verify-states"), "--verify-states cannot be combined"},
	} {
		if code, _, errs := runCLI(t, c.args...); code != run.ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// TestVerifyStatesAndSizeEstimate checks that --verify-states says the
// fingerprints were checked; an absurd scope is refused before it thrashes,
// with a hint, unless --force.
func TestVerifyStatesAndSizeEstimate(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4", "--bound", "2", "--verify-states", "--traces=false")
	if code != run.ExitOK || !strings.Contains(out, "verified against the stored states: no collision") {
		t.Fatalf("--verify-states: exit %d:\n%s", code, out)
	}
	code, _, errs := runCLI(t, "--spec", "v5.4", "--pages", "8", "--procs", "2", "--bound", "3")
	if code != run.ExitUsage || !strings.Contains(errs, "far beyond the memory limit") || !strings.Contains(errs, "--force") {
		t.Fatalf("absurd scope: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCLI(t, "--spec", "v5.4", "--procs", "4", "--bound", "14", "--max-memory", "1GiB")
	if code != run.ExitUsage || !strings.Contains(errs, "the largest bound that fits is about") {
		t.Fatalf("deep bound: exit %d, stderr %q", code, errs)
	}
}

// TestMainFormatHTML checks that --format html on the main command writes a
// page per trace beside the JSON, never several documents run together on
// stdout.
func TestMainFormatHTML(t *testing.T) {
	code, _, errs := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--format", "html", "--progress", "never")
	if code != run.ExitUsage || !strings.Contains(errs, "--format html: one page per trace; add --out DIR") {
		t.Fatalf("without --out: exit %d, stderr %q", code, errs)
	}
	dir := t.TempDir()
	code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--format", "html", "--out", dir, "--progress", "never")
	page := filepath.Join(dir, "khlebnikov-fix-v1.own-anon-vma-linked.html")
	if code != run.ExitViolation || strings.Contains(out, "<!DOCTYPE") || !strings.Contains(out, page) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	data, err := os.ReadFile(page)
	if err != nil || strings.Count(string(data), "<!DOCTYPE html>") != 1 {
		t.Fatalf("%s: %v, %d documents", page, err, strings.Count(string(data), "<!DOCTYPE html>"))
	}
}
