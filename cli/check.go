package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"anoncheck/run"
)

// runCheck is the main command: check each variant to the bound and print
// its verdicts (a matrix first with several variants) and traces.
func runCheck(ctx context.Context, f *checkFlags, stdout, stderr io.Writer) error {
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Variants, err = selectVariants(f.spec); err != nil {
		return usageErr("%v", err)
	}
	if f.format == "html" && f.out == "" && f.traces {
		return usageErr("--format html: one page per trace; add --out DIR to write each as DIR/VARIANT.PROPERTY.html, or render one with anoncheck replay FILE --format html")
	}
	if cfg.Shard, err = parseShard(f.shard); err != nil {
		return usageErr("%v", err)
	}
	if cfg.Shard.Count > 1 {
		switch {
		case f.out == "":
			return usageErr("--shard %s: each part writes a part file for anoncheck merge; add --out DIR", f.shard)
		case f.checkpoint != "" || f.resume != "":
			return usageErr("--shard %s: parts do not checkpoint; run each part again instead", f.shard)
		}
	}
	for _, c := range []struct{ flag, path string }{{"--checkpoint", f.checkpoint}, {"--resume", f.resume}} {
		if c.path != "" && len(cfg.Variants) != 1 {
			return usageErr("%s: a checkpoint holds one variant's search; choose one with --spec", c.flag)
		}
	}
	if f.given("checkpoint-every") && f.checkpoint == "" {
		return usageErr("--checkpoint-every %s: applies only with --checkpoint FILE", f.checkpointEvery)
	}
	if f.checkpoint != "" {
		if err := checkOutputPath("checkpoint", f.checkpoint); err != nil {
			return usageErr("%v", err)
		}
		if f.checkpointEvery <= 0 {
			return usageErr("--checkpoint-every %s: must be positive", f.checkpointEvery)
		}
	}
	if f.resume != "" {
		if _, err := os.Stat(f.resume); err != nil {
			return usageErr("--resume %s: %v", f.resume, errors.Unwrap(err))
		}
		if f.verifyStates {
			return usageErr("--verify-states cannot be combined with --resume: a checkpoint keeps fingerprints, not states")
		}
	}
	// Last of the checks, so a refused command leaves no directory behind.
	if err := makeParents([2]string{"checkpoint", f.checkpoint}); err != nil {
		return err
	}
	if err := prepareOut(f.out); err != nil {
		return err
	}

	out, err := run.Check(ctx, cfg)
	if err != nil {
		return runError(f, err)
	}
	files := &written{w: stderr}
	each := func(w io.Writer, r *run.Run) error {
		if !r.IsPart() {
			return nil
		}
		path := filepath.Join(f.out, fmt.Sprintf("%s.part-%d-of-%d", r.Variant.Name, cfg.Shard.Index, cfg.Shard.Count))
		if err := r.WritePart(path); err != nil {
			return fmt.Errorf("writing %s: %v", path, err)
		}
		files.add(path)
		fmt.Fprintf(w, "part %d of %d of %s written to %s (anoncheck merge folds the parts)\n", cfg.Shard.Index, cfg.Shard.Count, r.Variant.Name, path)
		return nil
	}
	show := printOutcome
	if f.format == "json" {
		show = printJSON
	}
	if err := show(stdout, f, out, files, each); err != nil {
		return err
	}
	return exitWith(out.Code(), "violations or limits")
}

// printOutcome prints each run's report, after each(w, r), and with
// several runs the verdict and coverage matrices first: what each run's
// report adds to them (why it is incomplete, its traces) follows.
func printOutcome(stdout io.Writer, f *checkFlags, out *run.Outcome, files *written, each func(w io.Writer, r *run.Run) error) error {
	matrix := len(out.Runs) > 1
	var after bytes.Buffer
	w := stdout
	if matrix {
		w = &after
	}
	for _, r := range out.Runs {
		if err := each(w, r); err != nil {
			return err
		}
		if err := printReport(w, f, r, matrix, files); err != nil {
			return err
		}
	}
	if out.NotChecked > 0 {
		fmt.Fprintf(w, "stopped by %s: %d more variant(s) not checked\n", stopFlag(out.Runs[len(out.Runs)-1].Stop), out.NotChecked)
	}
	if !matrix {
		return nil
	}
	if err := writeMatrix(stdout, out, f.bound, f.markdown()); err != nil {
		return err
	}
	if err := writeCoverageMatrix(stdout, out, f.markdown()); err != nil {
		return err
	}
	_, err := after.WriteTo(stdout)
	return err
}

// prepareOut creates the --out directory and probes it, so that a
// directory that cannot be written fails now, not after the run.
func prepareOut(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return usageErr("--out %q: cannot create the directory: %v", dir, err)
	}
	if err := probeWritable(dir); err != nil {
		return usageErr("--out %q: cannot write in it: %v", dir, err)
	}
	return nil
}
