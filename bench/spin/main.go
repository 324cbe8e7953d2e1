// Command spin is the Go side of the SPIN cross-check in bench/spin: it
// explores a variant at a scope exactly as anoncheck does (specs.Model,
// check.Run) and records every state it reaches, to print the largest slot
// numbers the states use and, with --dump, to write each state as one line
// in the format model.pml prints under -DDUMP, so that the two state sets
// can be compared with sort and comm (run.sh --dump does this).
//
//	go run ./bench/spin --pages 1 --procs 2 --symmetry off --dump /tmp/go.states
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench/spin:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	var (
		spec, prots, ops, symmetry, dump string
		pages, procs                     int
		caps                             capacities
	)
	fs := flag.NewFlagSet("bench/spin", flag.ContinueOnError)
	fs.StringVar(&spec, "spec", "v5.4", "variant to explore")
	fs.IntVar(&pages, "pages", 2, "page slots per address space")
	fs.IntVar(&procs, "procs", 2, "processes alive at once")
	fs.StringVar(&prots, "prots", "r,rw", "protections mmap and mprotect use")
	fs.StringVar(&ops, "ops", "write,mprotect,munmap,fork,exit", "operation kinds after setup (setup may always mmap)")
	fs.StringVar(&symmetry, "symmetry", "off", "renaming: off, objects or full, as anoncheck --symmetry")
	fs.StringVar(&dump, "dump", "", "write every state, one line each, sorted, to this file")
	fs.IntVar(&caps.vmas, "vmas", 0, "VMA slots a dumped line shows even when unused (0: pages*procs)")
	fs.IntVar(&caps.avs, "avs", state.MaxAnonVMAs, "anon_vma slots a dumped line shows even when unused")
	fs.IntVar(&caps.pages, "page-slots", 0, "page slots a dumped line shows even when unused (0: pages*procs)")
	fs.IntVar(&caps.chain, "chain", state.MaxChain, "anon_vma_chain entries a dumped line shows per VMA")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := model(spec, pages, procs, prots, ops, symmetry)
	if err != nil {
		return err
	}
	if caps.vmas == 0 {
		caps.vmas = pages * procs
	}
	if caps.pages == 0 {
		caps.pages = pages * procs
	}
	rec := &recorder{m: m, keep: dump != ""}
	start := time.Now()
	res := check.Run[state.State](context.Background(), rec, check.Config[state.State]{})
	secs := time.Since(start).Seconds()
	if !res.Complete {
		return fmt.Errorf("the run stopped early (%v) after %d states", res.Stop, res.Stats.States)
	}
	u := rec.use
	fmt.Printf("scope pages=%d procs=%d prots=%s ops=%s spec=%s symmetry=%s\n", pages, procs, prots, ops, spec, symmetry)
	fmt.Printf("states %d\n", res.Stats.States)
	fmt.Printf("initial-layouts %d\n", res.Stats.Setup)
	fmt.Printf("transitions %d\n", res.Stats.Transitions)
	fmt.Printf("seconds %.3f\n", secs)
	fmt.Printf("max-slots vmas=%d avs=%d pages=%d chain=%d\n", u.vmas, u.avs, u.pages, u.chain)
	fmt.Printf("any bug=%t overflow=%t warn=%t latent=%t unmodelled-fields=%t\n", u.bug, u.overflow, u.warn, u.latent, u.unmodelled)
	if dump == "" {
		return nil
	}
	return writeDump(dump, rec.lines(&m.Scope, caps))
}

// model builds the specs.Model anoncheck would run for these flags, with
// the default advices.
func model(spec string, pages, procs int, prots, ops, symmetry string) (*specs.Model, error) {
	v, err := specs.Lookup(spec)
	if err != nil {
		return nil, err
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs, sc.Prots = pages, procs, nil
	for _, p := range strings.Split(prots, ",") {
		pr, err := transitions.ParseProt(p)
		if err != nil {
			return nil, fmt.Errorf("--prots: %w", err)
		}
		sc.Prots = append(sc.Prots, pr)
	}
	if sc.Ops, err = transitions.ParseOps(ops); err != nil {
		return nil, fmt.Errorf("--ops: %w", err)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	sym, err := state.ParseSymmetry(symmetry)
	if err != nil {
		return nil, fmt.Errorf("--symmetry: %w", err)
	}
	return &specs.Model{Variant: v, Scope: sc, Symmetry: sym}, nil
}

// recorder is a check.Model that runs m and records each state m's
// worker produces: the slot usage of all of them and, with keep, the
// states themselves. Run it with one worker (the default): the recording
// takes no lock.
type recorder struct {
	m    *specs.Model
	keep bool
	use  usage
	seen map[state.State]struct{}
}

// Init records and returns m's initial state.
func (r *recorder) Init() state.State {
	s := r.m.Init()
	r.record(&s)
	return s
}

// NewWorker wraps m's worker so that each successor is recorded.
func (r *recorder) NewWorker() check.Worker[state.State] {
	return &recordingWorker{Worker: r.m.NewWorker(), r: r}
}

type recordingWorker struct {
	check.Worker[state.State]
	r *recorder
}

// Next is the model's Next, recording the successor.
func (w *recordingWorker) Next(s *state.State, a check.Action, out *state.State) bool {
	if !w.Worker.Next(s, a, out) {
		return false
	}
	w.r.record(out)
	return true
}

// usage is the largest slot numbers the states use, whether any state
// records each kind of fault, and whether any sets a field model.pml does
// not carry (the counters and page flags of later kernels).
type usage struct {
	vmas, avs, pages, chain     int
	bug, overflow, warn, latent bool
	unmodelled                  bool
}

func (r *recorder) record(s *state.State) {
	if r.keep {
		if r.seen == nil {
			r.seen = map[state.State]struct{}{}
		}
		r.seen[*s] = struct{}{}
	}
	u := &r.use
	for i, v := range s.VMAs {
		if v.MM != 0 {
			u.vmas = max(u.vmas, i+1)
			u.chain = max(u.chain, int(v.NChain))
		}
	}
	for i, a := range s.AnonVMAs {
		if a.Status != state.AVUnused {
			u.avs = max(u.avs, i+1)
		}
		u.unmodelled = u.unmodelled || a.NumChildren != 0 || a.NumActiveVMAs != 0
	}
	for i, p := range s.Pages {
		if p.Used != 0 {
			u.pages = max(u.pages, i+1)
		}
		u.unmodelled = u.unmodelled || p.Flags != 0
	}
	u.bug = u.bug || s.Bug != 0
	u.overflow = u.overflow || s.Overflow != 0
	u.warn = u.warn || s.Warn != 0
	u.latent = u.latent || s.Latent != 0
}

// capacities are the slots a dumped line shows even when unused: those
// model.pml was compiled with.
type capacities struct{ vmas, avs, pages, chain int }

// lines renders every kept state, sorted.
func (r *recorder) lines(sc *transitions.Scope, c capacities) []string {
	out := make([]string, 0, len(r.seen))
	for s := range r.seen {
		out = append(out, dumpLine(&s, sc, c))
	}
	sort.Strings(out)
	return out
}

func writeDump(path string, lines []string) error {
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("--dump: %w", err)
	}
	return nil
}

// dumpLine renders a state as model.pml's dump_state prints it: the
// fields model.pml carries, slot by slot. A slot beyond the capacities is
// shown when it is in use, so that a state model.pml could not hold never
// matches one of its lines.
func dumpLine(s *state.State, sc *transitions.Scope, c capacities) string {
	var b strings.Builder
	live := 0
	for p := 0; p < sc.Procs; p++ {
		if s.MMs[p].Live != 0 {
			live |= 1 << p
		}
	}
	fmt.Fprintf(&b, "live=%d", live)
	for p := 0; p < sc.Procs; p++ {
		fmt.Fprintf(&b, " mm%d=%d,%d", p, s.MMs[p].Mmap, s.MMs[p].MapCount)
	}
	b.WriteString(" pt=")
	for p := 0; p < sc.Procs; p++ {
		for a := 0; a < sc.Pages; a++ {
			fmt.Fprintf(&b, "%d,", s.PT[p][a])
		}
	}
	for i := range s.VMAs {
		v := &s.VMAs[i]
		if i >= c.vmas && v.MM == 0 {
			continue
		}
		fmt.Fprintf(&b, " v%d=%d,%d,%d,%d,%d,%d,%d,%d,%d:", i+1, v.MM, v.Start, v.End, v.Pgoff, v.Flags, v.AnonVMA, v.Prev, v.Next, v.NChain)
		for j := 0; j < max(c.chain, int(v.NChain)); j++ {
			fmt.Fprintf(&b, "%d,", v.Chain[j])
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if i >= c.avs && a.Status == state.AVUnused {
			continue
		}
		fmt.Fprintf(&b, " a%d=%d,%d,%d,%d,%d,%d", i+1, a.Tree, a.Status, a.Root, a.Parent, a.Refcount, a.Degree)
	}
	for i := range s.Pages {
		p := &s.Pages[i]
		if i >= c.pages && p.Used == 0 {
			continue
		}
		fmt.Fprintf(&b, " p%d=%d,%d,%d,%d", i+1, p.Used, p.Mapping, p.Index, p.Mapcount)
	}
	fmt.Fprintf(&b, " bug=%d warn=%d ovf=%d latent=%d", s.Bug, s.Warn, s.Overflow, s.Latent)
	return b.String()
}
