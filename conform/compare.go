package conform

import (
	"fmt"
	"slices"
	"strings"

	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// Field is one thing compared after a step.
type Field int

// The fields, in the order reports list them.
const (
	FieldOops      Field = iota // the model oopsed (a BUG) where the kernel went on
	FieldResult                 // the system call's return value
	FieldFault                  // a write: whether it took a page fault
	FieldProcess                // whether each process exists (and its /proc files can be read)
	FieldMaps                   // /proc/PID/maps inside the test region: boundaries and permissions
	FieldPresent                // per page slot: a page is mapped
	FieldSharing                // per page: which other (process, slot) map the same physical page
	FieldIdentity               // per page: the same physical page as before the step, or a new one
	FieldContent                // per page: the content marker of the last write to it (marker mode)
	FieldExclusive              // per page: pagemap bit 56 (PM_MMAP_EXCLUSIVE) against mapcount == 1
	FieldMapcount               // per page: /proc/kpagecount against the model's page_mapcount()
	numFields
)

var fieldNames = [numFields]string{"oops", "result", "fault", "process", "maps", "present", "sharing", "identity",
	"content", "exclusive", "mapcount"}

func (f Field) String() string {
	if f >= 0 && f < numFields {
		return fieldNames[f]
	}
	return fmt.Sprintf("field%d", int(f))
}

// Fields lists every field in report order.
func Fields() []Field {
	out := make([]Field, numFields)
	for i := range out {
		out[i] = Field(i)
	}
	return out
}

// ParseField finds a field by name.
func ParseField(s string) (Field, bool) {
	i := slices.Index(fieldNames[:], s)
	return Field(i), i >= 0
}

// Difference is one field on which the kernel and the model disagree
// after a step.
type Difference struct {
	Step   int // 1-based
	Op     transitions.Op
	Proc   int // the process slot the field belongs to; -1: the step's
	Slot   int // the page slot; -1: none
	Field  Field
	Model  string
	Kernel string
	// Known is the entry of the known differences that explains it; nil:
	// unexplained.
	Known *Known
}

// Where names what the field belongs to: "P2", "P2 page 1" or "".
func (d *Difference) Where() string {
	switch {
	case d.Proc < 0:
		return ""
	case d.Slot < 0:
		return transitions.ProcName(uint8(d.Proc))
	}
	return fmt.Sprintf("%s page %d", transitions.ProcName(uint8(d.Proc)), d.Slot)
}

// String renders the difference on one line.
func (d *Difference) String() string {
	w := d.Where()
	if w != "" {
		w = " " + w
	}
	s := fmt.Sprintf("step %d %s:%s %s: model %s, kernel %s", d.Step, d.Op, w, d.Field, d.Model, d.Kernel)
	if d.Known != nil {
		s += " (known: " + d.Known.ID + ")"
	}
	return s
}

// Counts are the fields compared, by field.
type Counts [numFields]int64

// Total is the number of fields compared.
func (c *Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	for i := range c {
		c[i] += o[i]
	}
}

// comparer compares each step of a sequence with what the kernel showed.
type comparer struct {
	pages, procs int
	pfn          bool // PFNs are shown: sharing and identity by PFN
	kpagecount   bool // /proc/kpagecount is readable
	markers      bool // the processes reported content markers
	counts       Counts

	// content is the marker the model predicts in each of its pages: the
	// last write's.
	content [state.MaxPages + 1]uint64
}

// compare compares step i of seq with obs (prev: the observation after
// step i-1, nil for the first) and returns the differences, classified.
func (c *comparer) compare(seq *Sequence, i int, obs, prev *Obs) []Difference {
	op := seq.Ops[i]
	res := seq.Results[i]
	before, after := seq.before(i), &seq.States[i]
	var diffs []Difference
	add := func(proc, slot int, f Field, model, kernel string) {
		diffs = append(diffs, Difference{Step: i + 1, Op: op, Proc: proc, Slot: slot, Field: f, Model: model, Kernel: kernel})
	}
	if i == 0 {
		c.content = [state.MaxPages + 1]uint64{}
	}

	c.counts[FieldOops]++
	if after.Bug != 0 {
		add(-1, -1, FieldOops, "BUG: "+transitions.Assertion(after.Bug).String(), "no oops: "+kernelResult(obs))
		return c.classify(seq, i, diffs, obs, prev)
	}
	if obs.Status != stepOK {
		add(int(op.Proc), -1, FieldProcess, "performs the call", kernelResult(obs))
		return c.classify(seq, i, diffs, obs, prev)
	}
	c.counts[FieldResult]++
	if m, k := transitions.ErrnoName(res.Errno), errnoName(obs.Ret); m != k {
		add(-1, -1, FieldResult, m, k)
	}
	if op.Kind == transitions.OpWrite && res.Errno == 0 {
		if obs.Ret == 0 && obs.Fault >= 0 {
			pte := before.PT[op.Proc][op.Start]
			c.counts[FieldFault]++
			if m, k := pte.Page() == state.NoPage || !pte.Writable(), obs.Fault == 1; m != k {
				add(int(op.Proc), int(op.Start), FieldFault, faultText(m), faultText(k))
			}
		}
		if pg := after.PT[op.Proc][op.Start].Page(); pg != state.NoPage {
			c.content[pg] = seq.marker(i)
		}
	}

	for q := 0; q < c.procs; q++ {
		ml, ko := after.MMs[q].Live != 0, &obs.Procs[q]
		c.counts[FieldProcess]++
		if ml != ko.Live {
			add(q, -1, FieldProcess, liveText(ml), liveText(ko.Live))
			continue
		}
		if !ml {
			continue
		}
		if ko.Err != 0 {
			add(q, -1, FieldProcess, "alive", fmt.Sprintf("alive, but its maps or pagemap cannot be read (errno %d)", ko.Err))
			continue
		}
		c.counts[FieldMaps]++
		if m, k := modelMaps(after, q), kernelMaps(ko.VMAs); m != k {
			add(q, -1, FieldMaps, m, k)
		}
		for a := 0; a < c.pages; a++ {
			mp := after.PT[q][a].Page()
			kpm := ko.PM[a]
			kp := kpm&pmPresent != 0
			c.counts[FieldPresent]++
			if mp != state.NoPage != kp {
				add(q, a, FieldPresent, presentText(mp != state.NoPage), presentText(kp)+swappedText(kpm))
				continue
			}
			if !kp {
				continue
			}
			page := after.Page(mp)
			c.counts[FieldExclusive]++
			if m, k := page.Mapcount == 1, kpm&pmExclusive != 0; m != k {
				add(q, a, FieldExclusive, fmt.Sprintf("mapcount %d: bit 56 %s", page.Mapcount, bitText(m)), "bit 56 "+bitText(k))
			} else if page.Flags&state.PageAnonExclusive != 0 && !k {
				// An exclusive anonymous page is mapped by one PTE.
				add(q, a, FieldExclusive, "PageAnonExclusive: bit 56 set", "bit 56 "+bitText(k))
			}
			if c.kpagecount && ko.KCount[a] >= 0 {
				c.counts[FieldMapcount]++
				if int64(page.Mapcount) != ko.KCount[a] {
					add(q, a, FieldMapcount, fmt.Sprint(page.Mapcount), fmt.Sprint(ko.KCount[a]))
				}
			}
			if c.pfn || c.markers {
				c.counts[FieldSharing]++
				if m, k := c.modelSharers(after, q, a), c.kernelSharers(obs, q, a); m != k {
					add(q, a, FieldSharing, m, k)
				}
			}
			if c.pfn && prev != nil && before.MMs[q].Live != 0 && prev.Procs[q].Live {
				bp, kprev := before.PT[q][a].Page(), prev.Procs[q].PM[a]
				if bp != state.NoPage && kprev&pmPresent != 0 {
					c.counts[FieldIdentity]++
					if m, k := bp == mp, kprev&pmPFN == kpm&pmPFN; m != k {
						add(q, a, FieldIdentity, identityText(m), identityText(k))
					}
				}
			}
			if c.markers {
				v := after.VMA(after.FindVMA(q, uint8(a)))
				if v.Flags&state.VMRead != 0 {
					c.counts[FieldContent]++
					if m, k := c.content[mp], ko.Content[a]; m != k {
						add(q, a, FieldContent, markerText(m), markerText(k))
					}
				}
			}
		}
	}
	return c.classify(seq, i, diffs, obs, prev)
}

// modelSharers names the other (process, slot) mapping the model's page
// at (q, a).
func (c *comparer) modelSharers(s *state.State, q, a int) string {
	pg := s.PT[q][a].Page()
	var out []string
	for p := 0; p < c.procs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		for b := 0; b < c.pages; b++ {
			if (p != q || b != a) && s.PT[p][b].Page() == pg {
				out = append(out, loc(p, b))
			}
		}
	}
	return sharersText(out)
}

// kernelSharers names the other (process, slot) mapping the physical page
// at (q, a): the same PFN, or in marker mode the same content marker.
func (c *comparer) kernelSharers(o *Obs, q, a int) string {
	key := func(p, b int) uint64 {
		pm := o.Procs[p].PM[b]
		if pm&pmPresent == 0 {
			return 0
		}
		if c.pfn {
			return pm & pmPFN
		}
		return o.Procs[p].Content[b]
	}
	k := key(q, a)
	var out []string
	for p := 0; p < c.procs; p++ {
		if !o.Procs[p].Live {
			continue
		}
		for b := 0; b < c.pages; b++ {
			if (p != q || b != a) && k != 0 && key(p, b) == k {
				out = append(out, loc(p, b))
			}
		}
	}
	return sharersText(out)
}

func loc(p, b int) string { return fmt.Sprintf("%s@%d", transitions.ProcName(uint8(p)), b) }

func sharersText(l []string) string {
	if len(l) == 0 {
		return "not shared"
	}
	return "shared with " + strings.Join(l, " ")
}

// modelMaps renders process q's VMAs in s as kernelMaps renders maps.
func modelMaps(s *state.State, q int) string {
	var b strings.Builder
	s.ForEachVMA(q, func(v state.VMAID) bool {
		vv := s.VMA(v)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "[%d,%d) %s", vv.Start, vv.End, traces.MapsPerm(vv.Flags))
		return true
	})
	if b.Len() == 0 {
		return "(nothing mapped)"
	}
	return b.String()
}

func kernelMaps(vs []VMA) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "[%d,%d) %s", v.Start, v.End, v.Perm)
	}
	if b.Len() == 0 {
		return "(nothing mapped)"
	}
	return b.String()
}

// errnoName renders a kernel return value as transitions.ErrnoName does.
func errnoName(ret int64) string {
	names := map[int64]string{0: "0", -1: "-EPERM", -11: "-EAGAIN", -12: "-ENOMEM", -13: "-EACCES", -14: "-EFAULT",
		-17: "-EEXIST", -22: "-EINVAL", -38: "-ENOSYS", -99: "-EADDRNOTAVAIL"}
	if n, ok := names[ret]; ok {
		return n
	}
	return fmt.Sprint(ret)
}

// kernelResult describes what the kernel did in a step.
func kernelResult(o *Obs) string {
	switch o.Status {
	case stepDied:
		return "the process died: " + waitText(int(o.Ret))
	case stepGone:
		return "the process was not running"
	}
	return "returned " + errnoName(o.Ret)
}

// waitText describes a wait status.
func waitText(st int) string {
	switch {
	case st < 0:
		return "lost"
	case st&0x7f == 0:
		return fmt.Sprintf("exited with status %d", st>>8&0xff)
	}
	return fmt.Sprintf("killed by signal %d", st&0x7f)
}

func faultText(f bool) string {
	if f {
		return "faulted"
	}
	return "no fault"
}

func liveText(l bool) string {
	if l {
		return "alive"
	}
	return "gone"
}

func presentText(p bool) string {
	if p {
		return "present"
	}
	return "not present"
}

func swappedText(pm uint64) string {
	if pm&pmSwapped != 0 {
		return " (swapped out)"
	}
	return ""
}

func bitText(b bool) string {
	if b {
		return "set"
	}
	return "clear"
}

func identityText(same bool) string {
	if same {
		return "the same page as before the step"
	}
	return "a new page"
}

func markerText(m uint64) string {
	if m == 0 {
		return "no marker (zero)"
	}
	return fmt.Sprintf("marker %#x", m)
}
