package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"anoncheck/check"
	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// parseShard reads --shard I/N.
func parseShard(s string) (check.Shard, error) {
	var sh check.Shard
	if s == "" {
		return sh, nil
	}
	if _, err := fmt.Sscanf(s, "%d/%d", &sh.Index, &sh.Count); err != nil || fmt.Sprintf("%d/%d", sh.Index, sh.Count) != s {
		return sh, fmt.Errorf("--shard %q: use I/N, part I (from 0) of N parts, e.g. 0/4", s)
	}
	if sh.Count < 2 || sh.Index < 0 || sh.Index >= sh.Count {
		return sh, fmt.Errorf("--shard %q: N must be at least 2 and I between 0 and N-1", s)
	}
	return sh, nil
}

// config validates the flags every exploring command shares (bound,
// limits, scope, progress, format) and turns them into a run
// configuration, without variants.
func (f *checkFlags) config(stderr io.Writer) (*run.Config, error) {
	if f.bound < 0 {
		return nil, usageErr("--bound %d: must be 0 (no bound) or a positive number of operations", f.bound)
	}
	if f.maxStates < 0 {
		return nil, usageErr("--max-states %d: must be 0 (no limit) or positive", f.maxStates)
	}
	sc, err := parseScope(f)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	sym, err := state.ParseSymmetry(f.symmetry)
	if err != nil {
		return nil, usageErr("--symmetry: %v", err)
	}
	prog, err := progressMode(f.progress, stderr)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if err := f.checkFormat(); err != nil {
		return nil, err
	}
	if f.workers < 1 || f.workers > 256 {
		return nil, usageErr("--workers %d: must be between 1 and 256", f.workers)
	}
	if f.timeout < 0 {
		return nil, usageErr("--timeout %s: must not be negative", f.timeout)
	}
	mem, err := parseBytes(f.maxMemory)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	cfg := &run.Config{Scope: sc, Symmetry: sym, Bound: f.bound, SelfCheck: f.selfCheck, Shrink: f.shrink,
		Limits:  run.Limits{MaxStates: f.maxStates, Timeout: f.timeout, MaxMemory: mem},
		Workers: f.workers, VerifyStates: f.verifyStates, Checkpoint: f.checkpoint, CheckpointEvery: f.checkpointEvery,
		Resume: f.resume, Force: f.force, SpillDir: f.spill}
	if prog != nil {
		cfg.Progress = prog
	}
	return cfg, nil
}

// parseScope validates the scope flags.
func parseScope(f *checkFlags) (transitions.Scope, error) {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = f.pages, f.procs
	ops, err := transitions.ParseOps(f.ops)
	if err != nil {
		return sc, fmt.Errorf("--ops %q: %v", f.ops, err)
	}
	sc.Ops = ops
	if sc.Advices, err = transitions.ParseAdvices(f.advices); err != nil {
		return sc, fmt.Errorf("--advices %q: %v", f.advices, err)
	}
	sc.FailAlloc = f.failAlloc
	sc.Prots = nil
	seen := map[transitions.Prot]bool{}
	for _, s := range strings.Split(f.prots, ",") {
		p, err := transitions.ParseProt(strings.TrimSpace(s))
		if err != nil {
			return sc, fmt.Errorf("--prots %q: %v", f.prots, err)
		}
		if !seen[p] {
			seen[p] = true
			sc.Prots = append(sc.Prots, p)
		}
	}
	if err := sc.Validate(); err != nil {
		return sc, err
	}
	return sc, nil
}

// selectVariants reads --spec: a comma-separated list of variants, or all.
func selectVariants(list string) ([]*specs.Variant, error) {
	if strings.TrimSpace(list) == "all" {
		return specs.All(), nil
	}
	if strings.TrimSpace(list) == "" {
		// Most often an unset variable in a CI script: running every
		// variant instead would gate on the wrong thing.
		return nil, fmt.Errorf("--spec %q: empty; name variants (anoncheck specs lists them) or all", list)
	}
	var out []*specs.Variant
	seen := map[*specs.Variant]bool{}
	for _, n := range strings.Split(list, ",") {
		v, err := specs.Lookup(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("--spec: %v", err)
		}
		if seen[v] {
			return nil, fmt.Errorf("--spec %q: %s is named twice", list, v.Name)
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

// lookupVariant finds the variant called name; an unknown name is a usage
// error (exit 2) that says where the name came from (a flag, a command, a
// trace file) and lists the known variants.
func lookupVariant(where, name string) (*specs.Variant, error) {
	v, err := specs.Lookup(name)
	if err != nil {
		return nil, usageErr("%s: %v", where, err)
	}
	return v, nil
}

// traceWriter returns the renderer --format names.
func traceWriter(format string) (func(io.Writer, *traces.Trace) error, error) {
	switch format {
	case "text", "":
		return traces.WriteText, nil
	case "markdown", "md":
		return traces.WriteMarkdownTrace, nil
	case "html":
		return traces.WriteHTML, nil
	}
	return nil, fmt.Errorf("--format %q: must be text, markdown or html", format)
}

// parseBytes reads a --max-memory value: auto, 0, or a whole number with
// an optional KiB/MiB/GiB (or KB/MB/GB, B) suffix.
func parseBytes(s string) (uint64, error) {
	if s == "auto" || s == "" {
		return run.PhysicalMemory() / 4 * 3, nil
	}
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := s, uint64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("--max-memory %q: use auto, 0 or a size like 2GiB or 500MiB", s)
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("--max-memory %q: larger than 16 EiB; use 0 for no limit", s)
	}
	return n * mult, nil
}

// checkOutputPath refuses an output file that cannot be written, before
// a long run rather than after it: a path that names a directory, or
// whose directory neither exists nor can be created (a file in the way,
// or nothing can be written where it would be created). It creates
// nothing: makeParents does, once every check of the command passed, so
// a refused command leaves nothing behind.
func checkOutputPath(flag, path string) error {
	if path == "" {
		return nil
	}
	if strings.HasSuffix(path, string(filepath.Separator)) {
		return fmt.Errorf("--%s %q: names a directory; name a file", flag, path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--%s %q: is a directory; name a file", flag, path)
	}
	dir := filepath.Dir(path)
	for {
		st, err := os.Stat(dir)
		if err == nil && !st.IsDir() {
			return fmt.Errorf("--%s %q: %q is not a directory", flag, path, dir)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) || filepath.Dir(dir) == dir {
			return fmt.Errorf("--%s %q: %v", flag, path, err)
		}
		dir = filepath.Dir(dir) // created by makeParents
	}
	if err := probeWritable(dir); err != nil {
		return fmt.Errorf("--%s %q: cannot write in %q: %v", flag, path, dir, err)
	}
	return nil
}

// makeParents creates the directories of output files that checkOutputPath
// accepted, as --out creates its directory.
func makeParents(flagPaths ...[2]string) error {
	for _, fp := range flagPaths {
		if fp[1] == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(fp[1]), 0o777); err != nil {
			return usageErr("--%s %q: cannot create its directory: %v", fp[0], fp[1], err)
		}
	}
	return nil
}

// probeWritable creates and removes a file in dir, to find out before a
// long run, not after it, that nothing can be written there (a read-only
// directory, /proc).
func probeWritable(dir string) error {
	probe, err := os.CreateTemp(dir, ".anoncheck-probe*")
	if err != nil {
		return err
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// humanBytes renders a byte count as KiB, MiB, GiB, TiB or PiB.
func humanBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// stopFlag names what stopped a run, as the user asked for it.
func stopFlag(s run.Stop) string {
	switch s {
	case run.StopMaxStates:
		return "--max-states"
	case run.StopMaxMemory:
		return "--max-memory"
	case run.StopCollision:
		return "a fingerprint collision (--verify-states)"
	case run.StopTimeout:
		return "--timeout"
	case run.StopSignal:
		return "a signal (SIGINT or SIGTERM)"
	case run.StopFailed:
		return "failed"
	}
	return "exhausted"
}

// runError turns the run layer's errors into the command line's: a size
// estimate refusal and a checkpoint that cannot be resumed are bad usage,
// named by the flags that chose them.
func runError(f *checkFlags, err error) error {
	var tl *run.TooLarge
	switch {
	case errors.As(err, &tl):
		hint := "even the initial layouts do not fit: lower --pages"
		if tl.Fits >= 0 {
			hint = fmt.Sprintf("the largest bound that fits is about %d (~%.1e states): lower --bound, --pages or --procs", tl.Fits, tl.FitsStates)
		}
		return usageErr("--bound %d at pages=%d procs=%d: estimated ~%.1e states (~%s at %d bytes each), far beyond the memory limit %s; %s, or pass --force to try anyway",
			tl.Bound, tl.Pages, tl.Procs, tl.States, humanBytes(tl.States*float64(tl.BytesPerState)), tl.BytesPerState, humanBytes(float64(tl.Memory)), hint)
	}
	var small *run.MemoryTooSmall
	if errors.As(err, &small) {
		return usageErr("--max-memory %s cannot hold the initial layouts (~%.0f at pages=%d), which need about %dMiB: give --max-memory %dMiB or more, or 0 for no limit",
			f.maxMemory, small.Layouts, small.Pages, small.Least>>20, small.Least>>20)
	}
	var cm *run.CheckpointMismatch
	if errors.As(err, &cm) {
		var d []string
		for _, x := range cm.Diffs {
			d = append(d, describeDiff(x))
		}
		return usageErr("--resume %s: the checkpoint is of another run: %s (it was written by %s); resume with the options it was made with, or start afresh without --resume",
			cm.Path, strings.Join(d, "; "), cm.Tool)
	}
	var re *run.ResumeError
	if errors.As(err, &re) {
		return usageErr("--resume: %v", re.Err)
	}
	return err
}

// orZero is an identity value, "0" for a line the identity lacks.
func orZero(v string) string {
	if v == "" {
		return "0"
	}
	return v
}

// describeDiff names the option in which a checkpoint's run and this one
// differ, as the command line gives it.
func describeDiff(x check.IdentityDiff) string {
	switch x.Name {
	case "variant":
		return fmt.Sprintf("--spec %s here, %s in the checkpoint", x.Current, x.Saved)
	case "pages", "procs", "prots", "ops", "symmetry":
		// The ops line carries non-default advices: "+mremap advices +dontneed".
		flag := func(v string) string { return strings.Replace(v, " advices ", " --advices ", 1) }
		return fmt.Sprintf("--%s %s here, %s in the checkpoint", x.Name, flag(x.Current), flag(x.Saved))
	case "fail-alloc": // the line is there only when not 0
		return fmt.Sprintf("--fail-alloc %s here, %s in the checkpoint", orZero(x.Current), orZero(x.Saved))
	case "properties":
		self := func(list string) bool { return slices.Contains(strings.Split(list, ","), specs.SelfCheck.Name) }
		if here, there := self(x.Current), self(x.Saved); here != there {
			return fmt.Sprintf("--self-check %t here, %t in the checkpoint", here, there)
		}
		return "the properties checked differ (another version of anoncheck wrote the checkpoint)"
	case "model":
		return "the model of the variant differs (another version of anoncheck wrote the checkpoint)"
	}
	return fmt.Sprintf("%s %q here, %q in the checkpoint", x.Name, x.Current, x.Saved)
}
