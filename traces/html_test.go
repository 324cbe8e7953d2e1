//go:build unix

package traces_test

import (
	"bytes"
	"context"
	"errors"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// htmlViolation returns the shortest trace of property prop under variant at
// the given scope and bound, found by the explorer as the CLI finds it.
func htmlViolation(t *testing.T, variant, prop string, pages, procs, bound int) *traces.Trace {
	t.Helper()
	v, err := specs.Lookup(variant)
	if err != nil {
		t.Fatal(err)
	}
	p, err := specs.LookupProperty(prop)
	if err != nil {
		t.Fatal(err)
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	m := &specs.Model{Variant: v, Scope: sc}
	res := check.Run[state.State](context.Background(), m, check.Config[state.State]{
		Bound: bound, Properties: m.CheckProperties([]*specs.Property{p}), StopWhenAllViolated: true})
	if !res.Violated(0) {
		t.Fatalf("%s holds under %s at pages=%d procs=%d bound %d; the test needs a violation", prop, variant, pages, procs, bound)
	}
	tr, err := traces.FromPath(v, sc, p, res.Violations[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// htmlTraces are the real traces the page is tested on: Li Xinhai's
// missing chain link in khlebnikov-fix-v1 turning into a use-after-free
// after a warning, and linux-next-20191008's oops while building a
// one-process layout.
func htmlTraces(t *testing.T) map[string]*traces.Trace {
	return map[string]*traces.Trace{
		"khlebnikov-fix-v1":   htmlViolation(t, "khlebnikov-fix-v1", "no-freed-anon-vma", 2, 2, 2),
		"linux-next-20191008": htmlViolation(t, "linux-next-20191008", "kernel-bug", 3, 1, 1),
	}
}

func renderHTML(t *testing.T, tr *traces.Trace) string {
	t.Helper()
	var b strings.Builder
	if err := traces.WriteHTML(&b, tr); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// htmlExternalRef finds a reference that would make the browser load
// something: any src or href attribute that is not a fragment, any url()
// that is not one, and elements and rules that fetch. Attributes are
// looked for inside tags only: the text of a call path such as
// "anon_vma_clone(dst=C, src=A)" loads nothing.
var htmlExternalRef = regexp.MustCompile(`(?i)<[^>]*\b(?:src|href|xlink:href|action|srcset)\s*=\s*["']?\s*[^#\s"'>]|url\(\s*["']?\s*[^#\s"')]|<(?:link|img|iframe|object|embed|base)\b|@import`)

func TestHTMLRealTraces(t *testing.T) {
	for name, tr := range htmlTraces(t) {
		page := renderHTML(t, tr)
		title := "anoncheck: " + tr.Property.Name + " violated by " + tr.Variant.Name
		if !strings.Contains(page, "<title>"+title) || !strings.Contains(page, "<h1>"+title) {
			t.Errorf("%s: no title naming %q", name, title)
		}
		if got := strings.Count(page, `<section class="step"`); got != len(tr.Steps) {
			t.Errorf("%s: %d step sections, want %d", name, got, len(tr.Steps))
		}
		if got := strings.Count(page, "<svg class=\"state\""); got != len(tr.Steps) {
			t.Errorf("%s: %d pictures, want one per step (%d)", name, got, len(tr.Steps))
		}
		for i := range tr.Steps {
			call := html.EscapeString(tr.Steps[i].Syscall())
			if strings.Count(page, call) < 2 {
				t.Errorf("%s: step %d (%s) not both in the step list and shown", name, i+1, call)
			}
			for _, c := range tr.Steps[i].Calls {
				if !strings.Contains(page, html.EscapeString(c.Name)) {
					t.Errorf("%s: step %d lacks kernel function %s", name, i+1, c.Name)
				}
			}
		}
		if m := htmlExternalRef.FindString(page); m != "" {
			t.Errorf("%s: the page refers outside itself: %q", name, m)
		}
		if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
			t.Errorf("%s: the page holds a web address", name)
		}
		if !strings.Contains(page, `class="av changed"`) || !strings.Contains(page, `<span class="changed">* `) {
			t.Errorf("%s: nothing marked as changed", name)
		}
	}
}

func TestHTMLDrawsTheState(t *testing.T) {
	tr := htmlViolation(t, "khlebnikov-fix-v1", "own-anon-vma-linked", 2, 2, 1)
	page := renderHTML(t, tr)
	last := page[strings.LastIndex(page, `<section class="step"`):]
	// After the fork, the child's VMA D has av2 as its anon_vma but only
	// av1 on its chain: the link Li Xinhai found missing.
	for _, want := range []string{
		"<text x=", ">D rw-</text>", ">anon_vma=av2</text>",
		`<path class="own missing"`, "D -&gt;anon_vma = av2, not on its chain",
		`<path class="chain own"`, `<path class="parent"`, "av2 -&gt;parent av1",
		`<path class="mapping"`, "pg1 -&gt;mapping av1",
		">av1  (root)</text>", ">tree={A,B,C,D}</text>", ">pg1 index=0</text>", ">mapcount=2</text>",
		"<span class=\"changed\">* P2  CD", "dup_mmap",
	} {
		if !strings.Contains(last, want) {
			t.Errorf("the last step lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(last)
	}
}

func TestHTMLNoReferenceCheckCanFail(t *testing.T) {
	for _, bad := range []string{`<img src="https://example.org/x.png">`, `<script src="//cdn/x.js"></script>`,
		`<a href="http://x">`, `style="background:url('https://x/y')"`, `<link rel=stylesheet href=x.css>`} {
		if htmlExternalRef.FindString(bad) == "" {
			t.Errorf("external reference %s not detected", bad)
		}
	}
	for _, ok := range []string{`<a href="#3">`, `marker-end: url(#arrow)`, `<pre>anon_vma_clone(dst=C, src=A)</pre>`} {
		if m := htmlExternalRef.FindString(ok); m != "" {
			t.Errorf("%s taken for an external reference (%q)", ok, m)
		}
	}
}

func TestHTMLEscapesHostileStrings(t *testing.T) {
	const hostile = `</script><script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	v := *specs.V54
	v.Name, v.Follows = hostile, hostile
	p := *specs.Properties()[0]
	p.Name, p.Statement, p.Failure = hostile, hostile, hostile
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 0, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Proc: 0, Start: 0},
		{Kind: transitions.OpFork, Proc: 0},
	}
	tr, err := traces.Replay(&v, sc(), &p, ops, []bool{true, true, false})
	if err != nil {
		t.Fatal(err)
	}
	tr.Steps[2].Calls = append(tr.Steps[2].Calls, transitions.Call{Name: hostile})
	page := renderHTML(t, tr)
	for _, raw := range []string{"<script>alert(1)", "<img src=x", `"'&`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if n := strings.Count(page, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"); n < 5 {
		t.Errorf("the hostile string appears escaped %d times, want it in the title, heading, facts and kernel path", n)
	}
	if strings.Count(page, "<script>") != 2 {
		t.Errorf("want exactly the page's own two scripts, found %d", strings.Count(page, "<script>"))
	}
}

func TestHTMLEmptyTrace(t *testing.T) {
	tr, err := traces.Replay(specs.V54, sc(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := renderHTML(t, tr)
	for _, want := range []string{"<title>anoncheck: trace under v5.4, 0 operation(s)</title>", "The trace has no steps."} {
		if !strings.Contains(page, want) {
			t.Errorf("the page of an empty trace lacks %q", want)
		}
	}
}

// htmlChromium finds the browser: skipped where it is missing, except on
// CI, which must run the browser test.
func htmlChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run the browser test (apt-get install chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// htmlBrowse opens file path at URL fragment in headless chromium and returns
// the DOM after the page's scripts ran and what the page wrote to the
// console (chromium's log lines tagged CONSOLE).
func htmlBrowse(t *testing.T, bin, path, fragment string) (dom string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=3000", "--dump-dom", "file://"+path+fragment)
	// Chromium starts helper processes; a timeout ends them all.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	t.Logf("chromium on %s%s: %v", filepath.Base(path), fragment, time.Since(start).Round(10*time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 15s on %s", path)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("chromium: %v", err)
	}
	for _, l := range strings.Split(errOut.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	return out.String(), console
}

var htmlSelftestResult = regexp.MustCompile(`<output id="selftest-result">([^<]*)</output>`)

// htmlSelftest runs the page's self-test in chromium and returns what is
// wrong: a missing or failing result, console output, uncaught errors.
func htmlSelftest(t *testing.T, bin, page string, steps int) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console := htmlBrowse(t, bin, path, "#selftest")
	var problems []string
	m := htmlSelftestResult.FindStringSubmatch(dom)
	switch {
	case m == nil:
		problems = append(problems, "no self-test result in the page")
	case html.UnescapeString(m[1]) != "PASS "+strconv.Itoa(steps)+" steps":
		problems = append(problems, "self-test: "+html.UnescapeString(m[1]))
	}
	for _, l := range console {
		problems = append(problems, "console: "+l)
	}
	return problems
}

func TestHTMLInBrowser(t *testing.T) {
	bin := htmlChromium(t)
	all := htmlTraces(t)
	all["khlebnikov-fix-v2 against khlebnikov-fix-v1"] = againstTrace(t, "khlebnikov-fix-v2")
	for name, tr := range all {
		if problems := htmlSelftest(t, bin, renderHTML(t, tr), len(tr.Steps)); len(problems) > 0 {
			t.Errorf("%s:\n%s", name, strings.Join(problems, "\n"))
		}
	}
}

// TestHTMLInBrowserCatchesBrokenPages checks that the browser test fails
// pages that are broken in each way it looks for.
func TestHTMLInBrowserCatchesBrokenPages(t *testing.T) {
	bin := htmlChromium(t)
	tr := htmlViolation(t, "khlebnikov-fix-v1", "own-anon-vma-linked", 2, 2, 1)
	page := renderHTML(t, tr)
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"uncaught error after the self-test", "</body>", "<script>window.noSuchHelper();</script></body>", "noSuchHelper"},
		{"syntax error in the script", `"use strict";`, `"use strict"; var = ;`, "no self-test result"},
		{"Next does nothing", "next.addEventListener(\"click\", function () { show(cur + 1); });", "", "Next: showing step(s) [1]"},
		{"pictures not drawn", "svg.state { border", "svg.state { display: none; border", "draws no picture"},
		{"console error", `"use strict";`, `"use strict"; console.error("lost a step");`, "lost a step"},
	} {
		broken := strings.Replace(page, c.old, c.new, 1)
		if broken == page {
			t.Fatalf("%s: %q is not in the page", c.name, c.old)
		}
		problems := htmlSelftest(t, bin, broken, len(tr.Steps))
		t.Logf("%s: %q", c.name, problems)
		if !strings.Contains(strings.Join(problems, "\n"), c.want) {
			t.Errorf("%s: the browser test found %q, want a problem mentioning %q", c.name, problems, c.want)
		}
	}
}

// A write fault changes only a PTE, which prints on the process's line;
// the picture still outlines the VMA the new PTE is in.
func TestHTMLOutlinesTheVMAOfAChangedPTE(t *testing.T) {
	tr := htmlViolation(t, "khlebnikov-fix-v1", "rmap-reachable", 2, 2, 2)
	page := renderHTML(t, tr)
	last := page[strings.LastIndex(page, `<section class="step"`):]
	if !strings.Contains(last, `<g class="vma v3 changed"><title>P2 D [1,2)`) {
		t.Errorf("the VMA of the written page is not outlined:\n%s", last)
	}
	if strings.Contains(last, `<g class="vma v2 changed">`) {
		t.Errorf("VMA C, untouched by the write, is outlined:\n%s", last)
	}
}

// The page's scripts (html/*.js, embedded as they are) parse as
// JavaScript: node --check, where node is installed.
func TestHTMLScriptsParse(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("html", "*.js"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts in html/ (%v)", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node not found (%v): the page's scripts are not syntax-checked", err)
	}
	for _, js := range scripts {
		if out, err := exec.Command(node, "--check", js).CombinedOutput(); err != nil {
			t.Errorf("%s does not parse: node --check: %v\n%s", js, err, out)
		}
	}
}

// At the step that detaches them (an unmap that oopsed before
// remove_vma()), the picture draws the VMAs detached from the list,
// dashed, with the edges they still hold; and the state's lines show each
// removed line right before the line that replaced it, not struck
// through at the bottom.
func TestHTMLDetachedAndRemovedLines(t *testing.T) {
	tr := reproKhlebnikovTrace(t, "no-freed-anon-vma", transitions.Op{Kind: transitions.OpMmap, Proc: 1, Start: 0, End: 2, Arg: uint8(transitions.ProtRead)})
	page := renderHTML(t, tr)
	last := page[strings.LastIndex(page, `<section class="step"`):]
	svg := last[:strings.Index(last, "</svg>")]
	for _, want := range []string{
		`<g class="vma v2 changed detached"><title>P2 C [0,1)`,
		`<g class="vma v3 changed detached"><title>P2 D [1,2)`,
		`>detached, not freed</text>`,
		`<title>C -&gt;anon_vma = av2, not on its chain</title>`,
		`<title>D -&gt;anon_vma = av2, not on its chain</title>`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("the picture of the last step lacks %q:\n%s", want, svg)
		}
	}
	for _, want := range []string{
		`<span class="gone">-     C [0,1) r-- account anon_vma=av2 chain=[av2 av1]</span><span class="changed">*     C [0,1) r-- account anon_vma=av2 chain=[]</span>`,
		`<span class="gone">- av2 root=av1 parent=av1 refcount=1 degree=2 tree={C}</span><span class="changed">* av2 FREED, still referenced by C-&gt;anon_vma, D-&gt;anon_vma</span>`,
	} {
		if !strings.Contains(last, want) {
			t.Errorf("the last step's lines lack %q:\n%s", want, last)
		}
	}
	if strings.Contains(page, "line-through") {
		t.Error("removed lines are still struck through")
	}
}
