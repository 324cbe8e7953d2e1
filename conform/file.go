package conform

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
	"anoncheck/version"
)

// FormatName and FormatVersion identify a conform file.
const (
	FormatName    = "anoncheck-conform"
	FormatVersion = 1
)

// File is a run with a difference, written as JSON: enough to run the
// same sequence again on the model and the kernel (anoncheck conform
// --replay FILE), and what differed.
type File struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Tool    string `json:"tool,omitempty"`
	Variant string `json:"variant"`
	Follows string `json:"follows,omitempty"`
	// Kernel is the machine the difference was seen on (uname -r -m).
	Kernel string           `json:"kernel"`
	Scope  traces.FileScope `json:"scope"`
	// Mode is how the sequence was made: random (Seed, Run), bound (Run
	// is its rank among the bound's sequences) or replay.
	Mode string `json:"mode"`
	Seed uint64 `json:"seed,omitempty"`
	Run  int    `json:"run"`
	// Markers: content markers stood in for PFNs.
	Markers bool `json:"markers,omitempty"`
	// Steps are the operations, each with the model's result and the
	// digest of the model's state after it, up to the step that differed.
	Steps       []traces.FileStep `json:"steps"`
	Differences []FileDifference  `json:"differences"`
}

// FileDifference is one difference. Proc is 1-based (P1), 0 for the
// step's own fields; Page is the page slot, absent when none.
type FileDifference struct {
	Step   int    `json:"step"`
	Proc   int    `json:"proc,omitempty"`
	Page   *int   `json:"page,omitempty"`
	Field  string `json:"field"`
	Model  string `json:"model"`
	Kernel string `json:"kernel"`
	Known  string `json:"known,omitempty"`
}

// fileOf renders a finding.
func fileOf(cfg *Config, m Machine, markers bool, f *Finding) *File {
	out := &File{Format: FormatName, Version: FormatVersion, Tool: version.String(), Variant: cfg.Variant.Name,
		Follows: cfg.Variant.Follows, Kernel: m.Release, Mode: f.Seq.Mode, Run: f.Seq.Index, Markers: markers,
		Scope: traces.FileScope{Pages: cfg.Scope.Pages, Procs: cfg.Scope.Procs}}
	if f.Seq.Mode == "random" {
		out.Seed = cfg.Seed
	}
	for _, p := range cfg.Scope.Prots {
		out.Scope.Prots = append(out.Scope.Prots, p.String())
	}
	if cfg.Scope.Ops != 0 {
		out.Scope.Ops = cfg.Scope.Ops.String()
	}
	for i, op := range f.Seq.Ops {
		var c state.State
		state.Canonical(&c, &f.Seq.States[i])
		out.Steps = append(out.Steps, traces.StepFile(op, f.Seq.Results[i].Errno, &c))
	}
	for _, d := range f.Diffs {
		fd := FileDifference{Step: d.Step, Field: d.Field.String(), Model: d.Model, Kernel: d.Kernel}
		if d.Proc >= 0 {
			fd.Proc = d.Proc + 1
		}
		if d.Slot >= 0 {
			s := d.Slot
			fd.Page = &s
		}
		if d.Known != nil {
			fd.Known = d.Known.ID
		}
		out.Differences = append(out.Differences, fd)
	}
	return out
}

// findingName is the file name of a finding: conform.random-S-R.json,
// conform.bound-B-R.json.
func findingName(cfg *Config, f *Finding) string {
	if f.Seq.Mode == "random" {
		return fmt.Sprintf("conform.%s.random-%d-%d.json", cfg.Variant.Name, cfg.Seed, f.Seq.Index)
	}
	return fmt.Sprintf("conform.%s.bound-%d-%d.json", cfg.Variant.Name, cfg.Bound, f.Seq.Index)
}

func writeFinding(cfg *Config, res *Result, f *Finding) (string, error) {
	b, err := EncodeFile(fileOf(cfg, res.Machine, res.Markers, f))
	if err != nil {
		return "", err
	}
	path := filepath.Join(cfg.Out, findingName(cfg, f))
	if err := traces.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return "", err
	}
	return path, nil
}

// EncodeFile renders f as indented JSON.
func EncodeFile(f *File) ([]byte, error) { return traces.EncodeIndented(f) }

// DecodeFile parses and validates a conform file.
func DecodeFile(data []byte) (*File, error) {
	var f File
	if err := traces.DecodeVersioned(data, &f, "conform file", FormatName, FormatVersion, func() (string, int) { return f.Format, f.Version }); err != nil {
		return nil, err
	}
	if f.Variant == "" {
		return nil, fmt.Errorf("no variant named")
	}
	if len(f.Steps) == 0 {
		return nil, fmt.Errorf("no steps")
	}
	return &f, nil
}

// ReadFile reads a conform file and returns it with its variant, scope and
// operations.
func ReadFile(path string) (*File, *specs.Variant, transitions.Scope, []transitions.Op, error) {
	var sc transitions.Scope
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, sc, nil, err
	}
	f, err := DecodeFile(data)
	if err != nil {
		return nil, nil, sc, nil, fmt.Errorf("%s: %v", path, err)
	}
	v, err := specs.Lookup(f.Variant)
	if err != nil {
		return nil, nil, sc, nil, fmt.Errorf("%s: %v", path, err)
	}
	tf := &traces.File{Scope: f.Scope, Steps: f.Steps}
	if sc, err = tf.ScopeValue(); err != nil {
		return nil, nil, sc, nil, fmt.Errorf("%s: %v", path, err)
	}
	ops, _, err := tf.Ops()
	if err != nil {
		return nil, nil, sc, nil, fmt.Errorf("%s: %v", path, err)
	}
	return f, v, sc, ops, nil
}

// ReplayStep is one step of a replay: what the model and the kernel did,
// and the differences.
type ReplayStep struct {
	Op          transitions.Op
	ModelResult string
	Kernel      string // what the kernel did: "returned 0", "the process died: ..."
	Maps        []string
	Diffs       []Difference
}

// ReplayResult is a replay of one sequence, Repeat times.
type ReplayResult struct {
	Machine Machine
	Markers bool
	// Steps are the first repetition's steps, up to the first that
	// differed.
	Steps []ReplayStep
	// ModelNote says where the model's results differ from the file's
	// (the model changed since it was written); "" when they agree.
	ModelNote string
	// Repeats and Differed: how many times the sequence ran, and in how
	// many of them a step differed (unexplained, known).
	Repeats, Unexplained, Known int
	Compared                    Counts
}

// Replay runs ops on the variant's model and on the kernel, repeat times,
// comparing every step as Run does, with the executor pinned to a CPU when
// pin is set. f, when not nil, is the file the
// operations came from: the model's results are checked against it.
func Replay(ctx context.Context, v *specs.Variant, sc transitions.Scope, ops []transitions.Op, f *File, repeat int, markers, pin bool) (*ReplayResult, error) {
	for i, op := range ops {
		if !performs[op.Kind] || op.Kind == transitions.OpMadvise && madvValue[transitions.Advice(op.Arg)] == 0 {
			return nil, fmt.Errorf("step %d (%s): the executor cannot perform it yet (conform/c/executor.c)", i+1, op)
		}
	}
	m := newModel(v, &sc)
	seq, err := m.replaySequence(ops)
	if err != nil {
		return nil, err
	}
	seq.Mode = "replay"
	if f != nil {
		seq.Index = f.Run
	}
	p, err := newPool(1, pin)
	if err != nil {
		return nil, err
	}
	defer p.close()
	e := p.exec[0]
	rr := &ReplayResult{Machine: e.m, Markers: markers || !e.m.PFN}
	if f != nil {
		rr.ModelNote = modelNote(f, seq)
	}
	if repeat < 1 {
		repeat = 1
	}
	c := &comparer{pages: sc.Pages, procs: sc.Procs, pfn: !rr.Markers, kpagecount: e.m.KPageCount && !rr.Markers, markers: rr.Markers}
	for r := 0; r < repeat && ctx.Err() == nil; r++ {
		if err := e.send(seq, sc.Pages, rr.Markers); err != nil {
			return nil, err
		}
		obs := make([]Obs, len(seq.Ops))
		if err := e.receive(obs); err != nil {
			return nil, err
		}
		rr.Repeats++
		var first []Difference
		for i := range seq.Ops {
			var prev *Obs
			if i > 0 {
				prev = &obs[i-1]
			}
			diffs := c.compare(seq, i, &obs[i], prev)
			if r == 0 {
				var maps []string
				for q := 0; q < sc.Procs; q++ {
					if obs[i].Procs[q].Live {
						maps = append(maps, fmt.Sprintf("%s %s", transitions.ProcName(uint8(q)), kernelMaps(obs[i].Procs[q].VMAs)))
					}
				}
				rr.Steps = append(rr.Steps, ReplayStep{Op: seq.Ops[i], ModelResult: transitions.ErrnoName(seq.Results[i].Errno),
					Kernel: kernelResult(&obs[i]), Maps: maps, Diffs: diffs})
			}
			if len(diffs) > 0 {
				first = diffs
				break
			}
		}
		f := &Finding{Diffs: first}
		switch {
		case len(first) == 0:
		case f.Unexplained():
			rr.Unexplained++
		default:
			rr.Known++
		}
	}
	rr.Compared = c.counts
	return rr, nil
}

// modelNote compares the model's results with the file's.
func modelNote(f *File, seq *Sequence) string {
	for i, op := range seq.Ops {
		if i >= len(f.Steps) {
			break
		}
		var c state.State
		state.Canonical(&c, &seq.States[i])
		st := traces.StepFile(op, seq.Results[i].Errno, &c)
		if st.Result != f.Steps[i].Result || st.Digest != f.Steps[i].Digest {
			return fmt.Sprintf("step %d (%s): the model now returns %s (state %s) where the file records %s (state %s): "+
				"the model changed since the file was written", i+1, op, st.Result, st.Digest, f.Steps[i].Result, f.Steps[i].Digest)
		}
	}
	if len(seq.Ops) < len(f.Steps) {
		return fmt.Sprintf("the model stops after step %d of the file's %d", len(seq.Ops), len(f.Steps))
	}
	return ""
}
