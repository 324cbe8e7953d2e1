package conform

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// Known is a difference between the model and the kernel that comes from a
// deliberate simplification of the model: one that leaves every verdict
// unchanged, for the kernel reason given. conform reports a difference it
// matches as known, never as agreement; docs/CONFORM.md lists the same
// entries (TestKnownDocumented checks it).
type Known struct {
	ID      string
	Field   Field
	Summary string // what the kernel shows that the model does not
	Reason  string // why: the kernel code, and why no verdict depends on it
	// Match reports whether the difference, in its step, is this one.
	Match func(x *Context, d *Difference) bool
}

// Context is the step a difference was found in.
type Context struct {
	Seq       *Sequence
	Step      int // 0-based
	Obs, Prev *Obs
}

// known is the table of known differences.
var known = []*Known{
	{
		ID:    "extra-reference-copy",
		Field: FieldIdentity,
		Summary: "a write fault copied a page mapped once that the model reuses: " +
			"something other than a mapping held a reference to it",
		Reason: "mm/memory.c:wp_can_reuse_anon_folio() (v6.18) reuses a page that is not PageAnonExclusive only if " +
			"folio_ref_count() is 1 after lru_add_drain(), which drains this CPU's LRU batches alone: a new page " +
			"still in another CPU's batch (the process moved), or one that compaction or a GUP user holds for a " +
			"moment, is copied by wp_page_copy(). The model counts a page's references as its mappings " +
			"(docs/MODEL-6.18.md, \"Small folios\"). Verdict-neutral: the copy and the reuse both leave a page mapped " +
			"once at that address with page->mapping the VMA's anon_vma, the same state up to the page's name, and " +
			"the model takes the copy path itself whenever the page is shared. conform pins each executor's " +
			"processes to one CPU (--pin, the default), which leaves only the rare transient references.",
		Match: func(x *Context, d *Difference) bool {
			op := x.Seq.Ops[x.Step]
			if op.Kind != transitions.OpWrite || d.Proc != int(op.Proc) || d.Slot != int(op.Start) ||
				d.Model != identityText(true) || d.Kernel != identityText(false) {
				return false
			}
			// The model took wp_can_reuse_anon_folio(): a read-only PTE
			// of a page mapped once, not PageAnonExclusive.
			before := x.Seq.before(x.Step)
			pte := before.PT[op.Proc][op.Start]
			if pte.Page() == state.NoPage || pte.Writable() {
				return false
			}
			pg := before.Page(pte.Page())
			if pg.Mapcount != 1 || pg.Flags&state.PageAnonExclusive != 0 {
				return false
			}
			// The kernel's new page is mapped once, as a copy is.
			return x.Obs.Procs[op.Proc].PM[op.Start]&pmExclusive != 0
		},
	},
}

// KnownDifferences returns the table of known differences.
func KnownDifferences() []*Known { return known }

// classify marks each difference the table explains.
func (c *comparer) classify(seq *Sequence, i int, diffs []Difference, obs, prev *Obs) []Difference {
	x := &Context{Seq: seq, Step: i, Obs: obs, Prev: prev}
	for j := range diffs {
		d := &diffs[j]
		for _, k := range known {
			if k.Field == d.Field && k.Match(x, d) {
				d.Known = k
				break
			}
		}
	}
	return diffs
}
