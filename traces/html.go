package traces

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"anoncheck/state"
	"anoncheck/transitions"
)

// WriteHTML renders the trace as one self-contained HTML page for stepping
// through it in a browser: each step's system call and kernel path, and an
// SVG svgPicture of the state after it (each process's layout, the anon_vma
// tree, every VMA's chain, the pages and their ->mapping), with what
// changed since the previous step marked. Prev/Next buttons, the step list
// and the arrow keys move between steps, and the URL hash holds the step
// number. The page loads nothing: its style, script and pictures are
// inline. Opened with the hash #selftest, the page drives its own controls
// through every step and appends an element with id selftest-result
// reading "PASS" or "FAIL" and the reasons.
func WriteHTML(w io.Writer, t *Trace) error {
	return htmlPage.Execute(w, newHTMLTrace(t))
}

// htmlTrace is what the page template renders.
type htmlTrace struct {
	Title string
	Facts []htmlFact
	Steps []htmlStep
}

// htmlFact is one line of the page's header.
type htmlFact struct{ Name, Value string }

// htmlStep is one step of the trace as the page shows it.
type htmlStep struct {
	N       int    // position in the trace from 1: the URL hash
	Label   string // "s1." for a setup step, "1." for an operation
	Heading string // "setup 1", "operation 1"
	Group   string // "setup" or "operations" on the first step of each
	Layout  bool   // the last setup step: its state is the initial layout
	Syscall string
	Calls   string   // the kernel call path, indented as WriteText does
	Faults  []string // oops, warning and overflow recorded in the state
	Lines   []htmlLine
	Gone    []string // lines of the previous state that are no longer there
	Picture svgPicture
}

// htmlLine is one of StateLines, marked if the previous state lacked it.
type htmlLine struct {
	Changed bool
	Text    string
}

// newHTMLTrace describes the page of trace t.
func newHTMLTrace(t *Trace) *htmlTrace {
	h := &htmlTrace{Title: htmlTitle(t)}
	if t.Property != nil {
		h.Facts = append(h.Facts, htmlFact{"property", t.Property.Statement}, htmlFact{"failure", t.Property.Failure})
		if why := t.Why(); why != "" {
			h.Facts = append(h.Facts, htmlFact{"here", why})
		}
	}
	h.Facts = append(h.Facts, htmlFact{"variant", t.Variant.Follows},
		htmlFact{"scope", t.Scope.String()})
	final := t.Final()
	h.Facts = append(h.Facts, htmlFaults(&final)...)
	if t.Skipped > 0 {
		h.Facts = append(h.Facts, htmlFact{"not run", fmt.Sprintf("%d operation(s) after the kernel stopped", t.Skipped)})
	}

	initial := transitions.Initial()
	prevLines := StateLines(&initial, t.Variant.CountersKept())
	for i := range t.Steps {
		lines := StateLines(&t.Steps[i].Raw, t.Variant.CountersKept())
		h.Steps = append(h.Steps, newHTMLStep(t, i, lines, prevLines))
		prevLines = lines
	}
	return h
}

// newHTMLStep describes step i, whose state draws as lines and the
// previous state as prev.
func newHTMLStep(t *Trace, i int, lines, prev []string) htmlStep {
	st := &t.Steps[i]
	hs := htmlStep{N: i + 1, Label: fmt.Sprintf("%d.", t.Number(i)), Heading: fmt.Sprintf("operation %d", t.Number(i)),
		Layout: st.Setup && t.ShowsState(i), Syscall: st.Syscall()}
	if st.Setup {
		hs.Label, hs.Heading = "s"+hs.Label, fmt.Sprintf("setup %d", t.Number(i))
	}
	if i == 0 || st.Setup != t.Steps[i-1].Setup {
		hs.Group = "operations"
		if st.Setup {
			hs.Group = "setup"
		}
	}
	var calls []string
	for _, c := range st.Calls {
		calls = append(calls, strings.Repeat("  ", c.Depth)+c.Name)
	}
	hs.Calls = strings.Join(calls, "\n")
	for _, f := range htmlFaults(&st.After) {
		hs.Faults = append(hs.Faults, f.Name+": "+f.Value)
	}
	changed := map[string]bool{}
	hs.Lines, hs.Gone = diffLines(lines, prev, changed)
	// PTEs print on their process's line; outline the VMA a changed PTE
	// is in, too, where the picture draws it.
	before := transitions.Initial()
	if i > 0 {
		before = t.Steps[i-1].Raw
	}
	for p := 0; p < state.MaxProcs; p++ {
		for a := 0; a < state.MaxSlots; a++ {
			if st.Raw.MMs[p].Live != 0 && st.Raw.PT[p][a] != before.PT[p][a] {
				if v := st.Raw.FindVMA(p, uint8(a)); v != state.NoVMA {
					changed[v.Name()] = true
				}
			}
		}
	}
	hs.Picture = drawStateSVG(&st.Raw, t.Variant.CountersKept(), t.Scope.Pages, changed)
	return hs
}

// htmlTitle is the title line of WriteText without its "anoncheck: ".
func htmlTitle(t *Trace) string {
	switch {
	case t.Property == nil:
		return fmt.Sprintf("trace under %s, %d operation(s)", t.Variant.Name, t.Depth())
	case t.Depth() == 0:
		return fmt.Sprintf("%s violated by %s in its initial layout", t.PropertyName(), t.Variant.Name)
	}
	return fmt.Sprintf("%s violated by %s after %d operation(s)", t.PropertyName(), t.Variant.Name, t.Depth())
}

// htmlFaults lists the oops, warning and overflow a state records.
func htmlFaults(s *state.State) []htmlFact {
	var out []htmlFact
	if s.Bug != 0 {
		out = append(out, htmlFact{"oops", transitions.Assertion(s.Bug).String()})
	}
	if s.Warn != 0 {
		out = append(out, htmlFact{"warning", transitions.Assertion(s.Warn).String()})
	}
	if s.Overflow != 0 {
		out = append(out, htmlFact{"overflow", state.CapName(s.Overflow)})
	}
	return out
}

// diffLines marks the lines prev lacks, as WriteText does, returns the
// lines of prev that are gone, and records in changed the name (first
// word: P1, A, av1, pg1) of every object whose line is new.
func diffLines(lines, prev []string, changed map[string]bool) ([]htmlLine, []string) {
	had, has := map[string]bool{}, map[string]bool{}
	for _, l := range prev {
		had[l] = true
	}
	out := make([]htmlLine, len(lines))
	for i, l := range lines {
		has[l] = true
		out[i] = htmlLine{Changed: !had[l], Text: l}
		if f := strings.Fields(l); !had[l] && len(f) > 0 {
			changed[f[0]] = true
		}
	}
	var gone []string
	for _, l := range prev {
		if !has[l] {
			gone = append(gone, l)
		}
	}
	return out, gone
}

// svgPicture is one SVG drawing: boxes with lines of text, edges between
// them, and free labels. Coordinates are in pixels.
type svgPicture struct {
	W, H   int
	Boxes  []svgBox
	Edges  []svgEdge
	Labels []svgLabel
}

// svgBox is a rectangle with a tooltip and lines of text inside.
type svgBox struct {
	X, Y, W, H int
	Class, Tip string
	Text       []svgLabel
}

// svgEdge is a path ending in an arrow.
type svgEdge struct {
	D, Class, Tip string
}

// svgLabel is one line of text.
type svgLabel struct {
	X, Y        int
	Class, Text string
}

// Geometry of the pictures, in pixels; text is 11px monospace, about
// 6.6px a character.
const (
	svgMargin  = 10
	svgSlotW   = 104 // one page slot of an address space
	svgVMAH    = 62
	svgLineH   = 13
	svgAVW     = 206
	svgAVH     = 50
	svgPageW   = 130
	svgPageH   = 36
	svgGap     = 18
	svgProcGap = 30
	svgArcH    = 40 // room for the arcs from anon_vmas to their parents
	svgBandGap = 56 // room for the edges between bands
)

// svgDrawer lays out one state's picture from the top down.
type svgDrawer struct {
	s        *state.State
	counters transitions.Counters
	changed  map[string]bool // objects to outline, by name
	slots    int
	p        svgPicture
	y        int                    // top of the next band
	vmaAt    map[state.VMAID][2]int // bottom centre of each VMA
	avAt     map[state.AVID][2]int  // top left of each anon_vma
	ports    map[string]int         // edges met so far at each node side
}

// drawStateSVG draws a canonical state in three bands: the processes side
// by side, each a row of page slots with its VMAs across them; the
// anon_vmas in a row, each tree depth first from its root, with arcs to
// their parents; the pages, with an edge to their ->mapping. Each VMA's
// chain is an edge from it to each anon_vma on it (to its own ->anon_vma
// thick, red when that is missing from the chain). Objects named in
// changed are outlined; each process is at least slots page slots wide.
func drawStateSVG(s *state.State, counters transitions.Counters, slots int, changed map[string]bool) svgPicture {
	for i := range s.VMAs {
		if s.VMAs[i].MM != 0 {
			slots = max(slots, int(s.VMAs[i].End))
		}
	}
	d := &svgDrawer{s: s, counters: counters, changed: changed, slots: min(slots, state.MaxSlots), y: svgMargin,
		vmaAt: map[state.VMAID][2]int{}, avAt: map[state.AVID][2]int{}, ports: map[string]int{}}
	d.procs()
	d.anonVMAs()
	d.pages()
	d.p.H = d.y + svgMargin
	d.parentEdges()
	for proc := 0; proc < state.MaxProcs; proc++ {
		if s.MMs[proc].Live != 0 {
			s.ForEachVMA(proc, func(v state.VMAID) bool {
				d.chainEdges(v)
				return true
			})
		}
	}
	d.p.W = 0
	for _, b := range d.p.Boxes {
		d.p.W = max(d.p.W, b.X+b.W+svgMargin)
	}
	return d.p
}

func (d *svgDrawer) label(x, y int, class, text string) {
	d.p.Labels = append(d.p.Labels, svgLabel{x, y, class, text})
}

// procs draws the address spaces side by side as tools/testing/vma draws
// them: per process a row of page slots, each VMA a box across its slots,
// each PTE named in its slot.
func (d *svgDrawer) procs() {
	x0 := svgMargin
	for proc := 0; proc < state.MaxProcs; proc++ {
		if d.s.MMs[proc].Live == 0 {
			continue
		}
		name := transitions.ProcName(uint8(proc))
		d.label(x0, d.y+svgLineH-2, markChanged("proc", d.changed[name]), name)
		for a := 0; a < d.slots; a++ {
			d.label(x0+a*svgSlotW+svgSlotW/2, d.y+2*svgLineH, "slotno", fmt.Sprint(a))
			d.p.Boxes = append(d.p.Boxes, svgBox{X: x0 + a*svgSlotW + 2, Y: d.y + 2*svgLineH + 4, W: svgSlotW - 4, H: svgVMAH, Class: "slot"})
		}
		d.s.ForEachVMA(proc, func(v state.VMAID) bool {
			d.vma(x0, d.y+2*svgLineH+4, name, v)
			return true
		})
		for a := 0; a < d.slots; a++ {
			if pte := d.s.PT[proc][a]; pte.Page() != state.NoPage {
				w := "ro"
				if pte.Writable() {
					w = "rw"
				}
				d.label(x0+a*svgSlotW+8, d.y+2*svgLineH+svgVMAH-2, "pte", fmt.Sprintf("pte→pg%d %s", pte.Page(), w))
			}
		}
		x0 += d.slots*svgSlotW + svgProcGap
	}
	d.y += 2*svgLineH + 4 + svgVMAH + svgBandGap
}

// vma draws VMA v of process proc in the row of slots at (x0, y).
func (d *svgDrawer) vma(x0, y int, proc string, v state.VMAID) {
	vv := d.s.VMA(v)
	start, end := min(int(vv.Start), d.slots), min(int(vv.End), d.slots)
	b := svgBox{X: x0 + start*svgSlotW + 2, Y: y, W: max(end-start, 1)*svgSlotW - 4, H: svgVMAH,
		Class: markChanged(fmt.Sprintf("vma v%d", (v-1)%8), d.changed[v.Name()]),
		Tip:   fmt.Sprintf("%s %s [%d,%d) %s", proc, v.Name(), vv.Start, vv.End, vv.Flags)}
	flags := strings.Fields(vv.Flags.String())
	b.Text = boxText(b.X+6, b.Y, []string{v.Name() + " " + flags[0], "anon_vma=" + vv.AnonVMA.Name(), strings.Join(flags[1:], " ")})
	d.p.Boxes = append(d.p.Boxes, b)
	d.vmaAt[v] = [2]int{b.X + b.W/2, b.Y + b.H}
}

// anonVMAs draws the anon_vmas in one row, each tree in depth-first
// order from its root, freed ones last, leaving room below for the arcs
// to their parents.
func (d *svgDrawer) anonVMAs() {
	d.label(svgMargin, d.y-6, "heading", "anon_vmas")
	order := avOrder(d.s)
	if len(order) == 0 {
		d.label(svgMargin, d.y+svgLineH, "none", "no anon_vma")
	}
	for i, id := range order {
		a := d.s.AV(id)
		b := svgBox{X: svgMargin + i*(svgAVW+svgGap), Y: d.y, W: svgAVW, H: svgAVH,
			Class: markChanged("av", d.changed[id.Name()]), Tip: id.Name()}
		text := []string{id.Name() + " FREED", "still referenced"}
		if a.Status == state.AVFreed {
			b.Class += " freed"
			b.Tip = id.Name() + " FREED, still referenced by " + strings.Join(referrers(d.s, id), ", ")
		} else {
			text = []string{fmt.Sprintf("%s root=%s parent=%s", id.Name(), a.Root.Name(), a.Parent.Name()),
				fmt.Sprintf("refcount=%d degree=%d", a.Refcount, a.Degree), "tree={" + treeLetters(a) + "}"}
			if a.Root == id && a.Parent == id {
				text[0] = id.Name() + "  (root)"
			}
			if d.counters == transitions.CountChildrenActive {
				text[1] = fmt.Sprintf("ref=%d children=%d active=%d", a.Refcount, a.NumChildren, a.NumActiveVMAs)
			}
		}
		b.Text = boxText(b.X+6, b.Y, text)
		d.p.Boxes = append(d.p.Boxes, b)
		d.avAt[id] = [2]int{b.X, b.Y}
	}
	d.y += svgAVH + svgArcH + svgBandGap
}

// pages draws the pages in a row, each with an edge to its ->mapping.
func (d *svgDrawer) pages() {
	n := 0
	for i := range d.s.Pages {
		pg := &d.s.Pages[i]
		if pg.Used == 0 {
			continue
		}
		id := fmt.Sprintf("pg%d", i+1)
		b := svgBox{X: svgMargin + n*(svgPageW+svgGap), Y: d.y, W: svgPageW, H: svgPageH, Class: markChanged("page", d.changed[id]),
			Tip: fmt.Sprintf("%s mapping=%s index=%d mapcount=%d", id, pg.Mapping.Name(), pg.Index, pg.Mapcount)}
		b.Text = boxText(b.X+6, b.Y, []string{fmt.Sprintf("%s index=%d", id, pg.Index), fmt.Sprintf("mapcount=%d", pg.Mapcount)})
		d.p.Boxes = append(d.p.Boxes, b)
		d.edgeUp(b.X+b.W/2, b.Y, pg.Mapping, "mapping", id+" ->mapping "+pg.Mapping.Name())
		n++
	}
	if n > 0 {
		d.label(svgMargin, d.y-6, "heading", "pages")
		d.y += svgPageH
	}
}

// parentEdges draws an arc below the row of anon_vmas from each live
// anon_vma to its parent.
func (d *svgDrawer) parentEdges() {
	for i := range d.s.AnonVMAs {
		id, a := state.AVID(i+1), &d.s.AnonVMAs[i]
		from, ok := d.avAt[id]
		to, pok := d.avAt[a.Parent]
		if !ok || !pok || a.Status != state.AVLive || a.Parent == id {
			continue
		}
		class := "parent"
		if d.s.AV(a.Parent).Status == state.AVFreed {
			class += " bad"
		}
		y := from[1] + svgAVH
		x1, x2 := d.port("bottom "+id.Name(), from[0]+svgAVW/2), d.port("bottom "+a.Parent.Name(), to[0]+svgAVW/2)
		depth := min(svgArcH, 16+abs(x2-x1)/10)
		d.p.Edges = append(d.p.Edges, svgEdge{fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y, x1, y+depth, x2, y+depth, x2, y),
			class, id.Name() + " ->parent " + a.Parent.Name()})
	}
}

// edgeUp draws an edge from (x, y) up into the bottom of anon_vma to, if
// it is drawn; red if it is freed.
func (d *svgDrawer) edgeUp(x, y int, to state.AVID, class, tip string) {
	at, ok := d.avAt[to]
	if !ok {
		return
	}
	if d.s.AV(to).Status == state.AVFreed {
		class += " bad"
	}
	d.p.Edges = append(d.p.Edges, svgEdge{svgCurve(x, y, d.port("bottom "+to.Name(), at[0]+svgAVW/2), at[1]+svgAVH), class, tip})
}

// chainEdges draws VMA v's chain: an edge from the VMA down to each
// anon_vma on it, thick to its own ->anon_vma, and a red one to its
// ->anon_vma when that is missing from the chain.
func (d *svgDrawer) chainEdges(v state.VMAID) {
	vv := d.s.VMA(v)
	from := d.vmaAt[v]
	add := func(a state.AVID, class, tip string) {
		at, ok := d.avAt[a]
		if !ok {
			return
		}
		if d.s.AV(a).Status == state.AVFreed {
			class += " bad"
		}
		x := d.port("bottom "+v.Name(), from[0])
		d.p.Edges = append(d.p.Edges, svgEdge{svgCurve(x, from[1], d.port("top "+a.Name(), at[0]+svgAVW/2), at[1]), class, tip})
	}
	for j := uint8(0); j < vv.NChain; j++ {
		class := "chain"
		if vv.Chain[j] == vv.AnonVMA {
			class = "chain own"
		}
		add(vv.Chain[j], class, fmt.Sprintf("%s chain -> %s", v.Name(), vv.Chain[j].Name()))
	}
	if vv.AnonVMA != state.NoAV && !vv.ChainHas(vv.AnonVMA) {
		add(vv.AnonVMA, "own missing", fmt.Sprintf("%s ->anon_vma = %s, not on its chain", v.Name(), vv.AnonVMA.Name()))
	}
}

// port spreads the edges that meet one side of a node: the n-th is offset
// from the centre x by 0, -9, +9, -18, ...
func (d *svgDrawer) port(side string, x int) int {
	n := d.ports[side]
	d.ports[side]++
	off := (n + 1) / 2 * 9
	if n%2 == 1 {
		off = -off
	}
	return x + off
}

// avOrder orders the anon_vmas to draw: each tree depth first from its
// root, children in id order; then the rest (freed ones, and any whose
// parents do not lead to a root).
func avOrder(s *state.State) []state.AVID {
	var out []state.AVID
	seen := map[state.AVID]bool{}
	var walk func(id state.AVID)
	walk = func(id state.AVID) {
		seen[id] = true
		out = append(out, id)
		for i := range s.AnonVMAs {
			c := state.AVID(i + 1)
			if a := &s.AnonVMAs[i]; !seen[c] && a.Status == state.AVLive && a.Parent == id {
				walk(c)
			}
		}
	}
	for i := range s.AnonVMAs {
		if a := &s.AnonVMAs[i]; a.Status == state.AVLive && a.Parent == state.AVID(i+1) {
			walk(a.Parent)
		}
	}
	for i := range s.AnonVMAs {
		if id := state.AVID(i + 1); !seen[id] && s.AnonVMAs[i].Status != state.AVUnused {
			out = append(out, id)
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// treeLetters lists the VMAs in an anon_vma's interval tree.
func treeLetters(a *state.AnonVMA) string {
	var out []string
	for v := 0; v < state.MaxVMAs; v++ {
		if a.Tree&(1<<v) != 0 {
			out = append(out, state.VMAID(v+1).Name())
		}
	}
	return strings.Join(out, ",")
}

// boxText lays out lines of text from the top of a box at (x, top),
// leaving empty lines blank.
func boxText(x, top int, lines []string) []svgLabel {
	var out []svgLabel
	for i, l := range lines {
		if l != "" {
			out = append(out, svgLabel{x, top + (i+1)*svgLineH + 1, "", l})
		}
	}
	return out
}

// svgCurve is a vertical S-shaped path from (x1, y1) to (x2, y2).
func svgCurve(x1, y1, x2, y2 int) string {
	bend := max((y2-y1)/2, 30)
	if y2 < y1 {
		bend = min((y2-y1)/2, -30)
	}
	return fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1, y1+bend, x2, y2-bend, x2, y2)
}

// markChanged adds the class "changed" to class when changed is set.
func markChanged(class string, changed bool) string {
	if changed {
		return class + " changed"
	}
	return class
}

var htmlPage = template.Must(template.New("trace").Parse(htmlSource))

const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>anoncheck: {{.Title}}</title>
<script>
window.pageErrors = [];
window.addEventListener("error", function (e) { window.pageErrors.push("uncaught: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { window.pageErrors.push("unhandled rejection: " + e.reason); });
(function () {
  var orig = console.error;
  console.error = function () {
    window.pageErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return orig.apply(console, arguments);
  };
})();
</script>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2125; background: #fafafa; }
header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #ccc; }
h1 { font-size: 18px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 0 0 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 12px; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; }
code, pre { font-family: ui-monospace, monospace; font-size: 12px; }
nav { position: sticky; top: 0; padding: 8px 16px; background: #eef1f4; border-bottom: 1px solid #ccc; z-index: 1; }
nav button { font-size: 14px; padding: 2px 12px; }
#pos { margin: 0 10px; }
.hint { color: #666; font-size: 12px; margin-left: 10px; }
main { display: grid; grid-template-columns: minmax(14em, 22em) 1fr; gap: 16px; padding: 12px 16px; }
#steplist ol { margin: 0 0 10px; padding-left: 0; list-style: none; }
#steplist h3 { font-size: 13px; margin: 6px 0 2px; color: #555; }
#steplist a { display: block; padding: 1px 6px; color: inherit; text-decoration: none; border-radius: 3px; font-family: ui-monospace, monospace; font-size: 12px; }
#steplist a:hover { background: #e4e8ec; }
#steplist a[aria-current] { background: #1f5fa8; color: #fff; }
.step { background: #fff; border: 1px solid #ccc; border-radius: 4px; padding: 10px 12px; margin-bottom: 12px; }
.js .step { display: none; }
.js .step.current { display: block; }
.badge { font-size: 12px; background: #e7f0e7; border: 1px solid #9c9; border-radius: 3px; padding: 0 5px; margin-left: 6px; }
.fault { color: #a11; font-weight: 600; margin: 0 0 6px; }
.cols { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.cols pre { margin: 0; }
pre.state span { display: block; }
pre.state .changed { background: #fff0d9; }
pre.state .gone { color: #888; text-decoration: line-through; }
.legend { font-size: 12px; color: #444; margin: 6px 0 0; }
svg.state { border: 1px solid #ddd; background: #fff; max-width: 100%; height: auto; }
svg text { font: 11px ui-monospace, monospace; fill: #1d2125; }
svg .heading { font-weight: 700; fill: #555; }
svg .slotno { text-anchor: middle; fill: #888; }
svg .proc { font-weight: 700; font-size: 13px; }
svg .proc.changed { fill: #d9480f; }
svg .pte { fill: #333; font-size: 10px; }
svg .none { fill: #888; }
svg rect { stroke: #555; stroke-width: 1; fill: #fff; }
svg .slot rect { stroke: #bbb; stroke-dasharray: 3 3; fill: none; }
svg .v0 rect { fill: #dbe9ff; } svg .v1 rect { fill: #dff5df; } svg .v2 rect { fill: #fde6d2; } svg .v3 rect { fill: #efe0fa; }
svg .v4 rect { fill: #fff6c7; } svg .v5 rect { fill: #d7f2f2; } svg .v6 rect { fill: #fadbe6; } svg .v7 rect { fill: #e6e6e6; }
svg .av rect { fill: #f4f6f8; }
svg .av.freed rect { fill: #fde2e2; stroke: #c00; stroke-dasharray: 5 3; }
svg .page rect { fill: #fffbe8; }
svg .changed rect { stroke: #d9480f; stroke-width: 3; }
svg path { fill: none; stroke: #555; stroke-width: 1.3; marker-end: url(#arrow); }
svg path.chain { stroke: #1f5fa8; stroke-dasharray: 5 3; marker-end: url(#arrow-blue); }
svg path.own { stroke-width: 3; stroke-dasharray: none; }
svg path.parent { stroke: #333; }
svg path.mapping { stroke: #8a6d00; stroke-dasharray: 2 3; marker-end: url(#arrow-brown); }
svg path.missing, svg path.bad { stroke: #c00; marker-end: url(#arrow-red); }
svg path.missing { stroke-dasharray: 8 3; }
svg.defs { position: absolute; width: 0; height: 0; }
.sample { display: inline-block; width: 26px; height: 0; vertical-align: middle; margin: 0 4px 0 10px; border-top: 2px solid; }
</style>
</head>
<body>
<svg class="defs" aria-hidden="true" focusable="false"><defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0 L10 5 L0 10 z" style="fill:#333;stroke:none"/></marker>
<marker id="arrow-blue" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0 L10 5 L0 10 z" style="fill:#1f5fa8;stroke:none"/></marker>
<marker id="arrow-brown" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0 L10 5 L0 10 z" style="fill:#8a6d00;stroke:none"/></marker>
<marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0 L10 5 L0 10 z" style="fill:#c00;stroke:none"/></marker>
</defs></svg>
<header>
<h1>anoncheck: {{.Title}}</h1>
<dl>{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<p class="legend">Edges: <span class="sample" style="border-color:#1f5fa8;border-top-style:dashed"></span>on the VMA's anon_vma_chain
<span class="sample" style="border-color:#1f5fa8;border-top-width:4px"></span>the VMA's own ->anon_vma, on its chain
<span class="sample" style="border-color:#c00;border-top-style:dashed"></span>->anon_vma missing from the chain, or to a freed anon_vma
<span class="sample" style="border-color:#333"></span>->parent
<span class="sample" style="border-color:#8a6d00;border-top-style:dotted"></span>page->mapping.
Outlined in orange: changed by the step.</p>
</header>
<nav><button id="prev" type="button">&#9664; Prev</button><span id="pos">{{len .Steps}} steps</span><button id="next" type="button">Next &#9654;</button><span class="hint">&#8592; / &#8594; keys step too</span></nav>
<main>
<div id="steplist">{{range .Steps}}{{if .Group}}{{if ne .N 1}}</ol>{{end}}<h3>{{.Group}}</h3><ol>{{end}}
<li><a href="#{{.N}}">{{.Label}} {{.Syscall}}</a></li>{{end}}{{if .Steps}}</ol>{{else}}<p>The trace has no steps.</p>{{end}}
</div>
<div id="view">{{range .Steps}}
<section class="step" id="step-{{.N}}">
<h2>{{.Heading}}: <code>{{.Syscall}}</code>{{if .Layout}}<span class="badge">initial layout</span>{{end}}</h2>
{{range .Faults}}<p class="fault">{{.}}</p>{{end}}
<svg class="state" width="{{.Picture.W}}" height="{{.Picture.H}}" viewBox="0 0 {{.Picture.W}} {{.Picture.H}}" role="img" aria-label="state after {{.Heading}}">
{{range .Picture.Boxes}}<g class="{{.Class}}">{{if .Tip}}<title>{{.Tip}}</title>{{end}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" rx="4"/>{{range .Text}}<text x="{{.X}}" y="{{.Y}}">{{.Text}}</text>{{end}}</g>
{{end}}{{range .Picture.Edges}}<path class="{{.Class}}" d="{{.D}}"><title>{{.Tip}}</title></path>
{{end}}{{range .Picture.Labels}}<text class="{{.Class}}" x="{{.X}}" y="{{.Y}}">{{.Text}}</text>
{{end}}</svg>
<div class="cols">
<div><h3>state after the step</h3><pre class="state">{{range .Lines}}<span{{if .Changed}} class="changed"{{end}}>{{if .Changed}}* {{else}}  {{end}}{{.Text}}</span>{{end}}{{range .Gone}}<span class="gone">- {{.}}</span>{{end}}</pre></div>
{{if .Calls}}<div><h3>kernel path</h3><pre>{{.Calls}}</pre></div>{{end}}
</div>
</section>{{end}}
</div>
</main>
<script>
(function () {
  "use strict";
  var steps = document.querySelectorAll("section.step");
  var links = document.querySelectorAll("#steplist a");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var pos = document.getElementById("pos");
  var cur = 0;
  document.documentElement.classList.add("js");

  // show makes step i (from 0) the current one and records it in the URL.
  function show(i) {
    if (steps.length === 0) {
      prev.disabled = next.disabled = true;
      return;
    }
    cur = Math.max(0, Math.min(steps.length - 1, i));
    for (var j = 0; j < steps.length; j++) {
      steps[j].classList.toggle("current", j === cur);
      if (j === cur) {
        links[j].setAttribute("aria-current", "step");
      } else {
        links[j].removeAttribute("aria-current");
      }
    }
    prev.disabled = cur === 0;
    next.disabled = cur === steps.length - 1;
    pos.textContent = "step " + (cur + 1) + " of " + steps.length;
    var hash = "#" + (cur + 1);
    if (location.hash !== hash) {
      history.replaceState(null, "", hash);
    }
  }

  // fromHash is the step the URL names, from 0.
  function fromHash() {
    var n = parseInt(location.hash.slice(1), 10);
    return isNaN(n) ? 0 : n - 1;
  }

  prev.addEventListener("click", function () { show(cur - 1); });
  next.addEventListener("click", function () { show(cur + 1); });
  Array.prototype.forEach.call(links, function (a, i) {
    a.addEventListener("click", function (e) { e.preventDefault(); show(i); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) {
      return;
    }
    if (e.key === "ArrowLeft") {
      show(cur - 1);
      e.preventDefault();
    } else if (e.key === "ArrowRight") {
      show(cur + 1);
      e.preventDefault();
    }
  });
  window.addEventListener("hashchange", function () { show(fromHash()); });

  // selftest drives the controls through every step, checks after each
  // that exactly the expected step is shown, drawn, listed and in the URL,
  // and appends the verdict as #selftest-result.
  function selftest() {
    var problems = [];
    function expect(i, how) {
      var shown = [];
      for (var j = 0; j < steps.length; j++) {
        if (getComputedStyle(steps[j]).display !== "none") {
          shown.push(j + 1);
        }
      }
      if (shown.length !== 1 || shown[0] !== i + 1) {
        problems.push(how + ": showing step(s) [" + shown.join(",") + "], want " + (i + 1));
      }
      if (location.hash !== "#" + (i + 1)) {
        problems.push(how + ": URL hash " + location.hash + ", want #" + (i + 1));
      }
      if (links[i].getAttribute("aria-current") !== "step") {
        problems.push(how + ": the step list does not mark step " + (i + 1));
      }
      var svg = steps[i].querySelector("svg.state");
      if (!svg || svg.getBoundingClientRect().width === 0 || svg.querySelectorAll("rect").length === 0) {
        problems.push(how + ": step " + (i + 1) + " draws no picture");
      }
    }
    function key(k) {
      document.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    }
    var n = steps.length;
    if (n > 0) {
      show(0);
      expect(0, "start");
      for (var i = 1; i < n; i++) {
        next.click();
        expect(i, "Next");
      }
      if (!next.disabled) {
        problems.push("Next is enabled at the last step");
      }
      for (i = n - 2; i >= 0; i--) {
        prev.click();
        expect(i, "Prev");
      }
      key("ArrowRight");
      expect(Math.min(1, n - 1), "ArrowRight");
      key("ArrowLeft");
      expect(0, "ArrowLeft");
      links[n - 1].click();
      expect(n - 1, "step list");
    }
    var all = window.pageErrors.concat(problems);
    var out = document.createElement("output");
    out.id = "selftest-result";
    out.textContent = (all.length === 0 ? "PASS " : "FAIL ") + n + " steps" + (all.length ? ": " + all.join("; ") : "");
    document.body.appendChild(out);
  }

  if (location.hash === "#selftest") {
    selftest();
  } else {
    show(fromHash());
  }
})();
</script>
</body>
</html>
`
