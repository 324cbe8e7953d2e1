package traces

import (
	"embed"
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
	Departs string     // where the step departs from the run the trace is compared with
	Calls   []htmlLine // the kernel call path, indented as WriteText does
	Faults  []string   // oops, warning and overflow recorded in the state
	Lines   []htmlLine // the state's lines, with those of the previous state it lacks beside what replaced them
	Picture svgPicture
}

// htmlLine is a line of the call path or of StateLines: marked Changed if
// the previous state lacked it, Gone if it is the previous state's and
// this one lacks it, and with Depart "+" or "-" if only this run or only
// the one the trace is compared with has it.
type htmlLine struct {
	Changed, Gone bool
	Depart        string
	Text          string
}

// Mark is the line's mark against the previous state: "* " for a new
// line, "- " for one gone, "  " for one that stayed.
func (l htmlLine) Mark() string {
	switch {
	case l.Gone:
		return "- "
	case l.Changed:
		return "* "
	}
	return "  "
}

// departText is a departure mark as the page prints it: "" when the trace
// is compared with nothing.
func (t *Trace) departText(op byte) string {
	if t.Against == nil {
		return ""
	}
	return string(op)
}

// departClass is the class of a line with departure mark op: "here" for
// '+', "there" for '-', "" for none.
func departClass(op byte) string {
	switch op {
	case '+':
		return "here"
	case '-':
		return "there"
	}
	return ""
}

// Class is the line's class: "changed" or "gone", its departure class,
// or both.
func (l htmlLine) Class() string {
	c := departClass(l.depart())
	switch {
	case l.Gone:
		c = strings.TrimSpace("gone " + c)
	case l.Changed:
		c = strings.TrimSpace("changed " + c)
	}
	return c
}

func (l htmlLine) depart() byte {
	if l.Depart == "" {
		return ' '
	}
	return l.Depart[0]
}

// newHTMLTrace describes the page of trace t.
func newHTMLTrace(t *Trace) *htmlTrace {
	h := &htmlTrace{Title: t.Title()}
	if t.Property != nil {
		h.Facts = append(h.Facts, htmlFact{"property", t.Property.Statement}, htmlFact{"failure", t.Property.Failure})
		if why := t.Why(); why != "" {
			h.Facts = append(h.Facts, htmlFact{"here", why})
		}
	}
	h.Facts = append(h.Facts, htmlFact{"variant", t.Variant.Follows},
		htmlFact{"scope", t.Scope.String()})
	if t.Against != nil {
		h.Facts = append(h.Facts, htmlFact{"against", t.againstNote()})
	}
	final := t.Final()
	h.Facts = append(h.Facts, htmlFaults(&final)...)
	if t.Skipped > 0 {
		h.Facts = append(h.Facts, htmlFact{"not run", fmt.Sprintf("%d operation(s) after the kernel stopped", t.Skipped)})
	}
	if n := t.againstLonger(); n != "" {
		h.Facts = append(h.Facts, htmlFact{"not run", n})
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
	if d := t.departure(i); d != nil {
		hs.Departs = d.what(t.Against.Variant.Name)
	}
	for _, c := range t.stepCalls(i) {
		hs.Calls = append(hs.Calls, htmlLine{Depart: t.departText(c.op), Text: c.text})
	}
	for _, f := range htmlFaults(&st.After) {
		hs.Faults = append(hs.Faults, f.Name+": "+f.Value)
	}
	changed := map[string]bool{}
	for _, l := range t.stepLines(i, lines, prev, true) {
		hs.Lines = append(hs.Lines, htmlLine{Changed: l.changed, Gone: l.gone, Depart: t.departText(l.depart), Text: l.text})
		if f := strings.Fields(l.text); l.changed && len(f) > 0 {
			changed[f[0]] = true
		}
	}
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
	// detached are each process's VMAs that are on no list but not freed
	// (an unmap that oopsed before remove_vma()), drawn in a row of their
	// own below the process's.
	detached [state.MaxProcs][]state.VMAID
}

// detachedVMAs lists, per process, the live VMAs of its mm that are not on
// its list.
func detachedVMAs(s *state.State) (out [state.MaxProcs][]state.VMAID) {
	var listed [state.MaxVMAs + 1]bool
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live != 0 {
			s.ForEachVMA(p, func(v state.VMAID) bool {
				listed[v] = true
				return true
			})
		}
	}
	for i := range s.VMAs {
		if v := state.VMAID(i + 1); s.VMAs[i].MM != 0 && !listed[v] {
			p := int(s.VMAs[i].MM) - 1
			out[p] = append(out[p], v)
		}
	}
	return out
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
		vmaAt: map[state.VMAID][2]int{}, avAt: map[state.AVID][2]int{}, ports: map[string]int{}, detached: detachedVMAs(s)}
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
	for proc := range d.detached {
		for _, v := range d.detached[proc] {
			d.chainEdges(v)
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
// each PTE named in its slot; below it, dashed, the VMAs detached from its
// list and not freed, at their ranges.
func (d *svgDrawer) procs() {
	x0 := svgMargin
	rowY := d.y + 2*svgLineH + 4 + svgVMAH + svgLineH + 6 // a row of detached VMAs, below the process's
	anyDetached := false
	for proc := 0; proc < state.MaxProcs; proc++ {
		if d.s.MMs[proc].Live == 0 && len(d.detached[proc]) == 0 {
			continue
		}
		name := transitions.ProcName(uint8(proc))
		if len(d.detached[proc]) > 0 {
			anyDetached = true
			d.label(x0, rowY-4, "detached", "detached, not freed")
			for _, v := range d.detached[proc] {
				d.vma(x0, rowY, name, v)
				d.p.Boxes[len(d.p.Boxes)-1].Class += " detached"
			}
		}
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
	if anyDetached {
		d.y += svgLineH + 6 + svgVMAH
	}
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

// htmlFiles are the page's template, html/trace.html, and the style and
// scripts it includes as templates by file name: trace.css, errors.js
// (which records the page's errors for its self-test) and trace.js (the
// controls and the self-test). They are parsed as html/template text, so
// none may hold "{{"; the escaper drops the scripts' comments from the
// page. TestHTMLScriptsParse checks the scripts with node.
//
//go:embed html
var htmlFiles embed.FS

// htmlPage is the page template, trace.html with the files it includes.
var htmlPage = template.Must(template.New("trace.html").ParseFS(htmlFiles, "html/*"))
