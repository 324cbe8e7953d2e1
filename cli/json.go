package cli

import (
	"encoding/json"
	"io"

	"anoncheck/run"
)

// printJSON prints the outcome as one JSON document (run.Report), after
// each(r) for every run and saving each violation's trace to --out.
func printJSON(stdout io.Writer, f *checkFlags, out *run.Outcome, files *written, each func(w io.Writer, r *run.Run) error) error {
	rep := out.Report()
	for i, r := range out.Runs {
		if err := each(io.Discard, r); err != nil {
			return err
		}
		if f.out != "" && !r.IsPart() {
			saved, err := writeTraces(f, r, files)
			if err != nil {
				return err
			}
			for _, st := range saved {
				rep.Variants[i].Traces = append(rep.Variants[i].Traces, traceFiles(st))
			}
		}
		noteCheckpoint(f, r, files)
	}
	rep.Files = append(rep.Files, files.paths...)
	return encodeJSON(stdout, rep)
}

// printHuntJSON prints a hunt as one JSON document (run.HuntReport),
// saving each finding's trace to --out.
func printHuntJSON(stdout io.Writer, f *checkFlags, hc *run.HuntConfig, out *run.HuntOutcome, files *written) error {
	rep := out.Report(hc)
	for i, hu := range out.Hunts {
		if hu.Finding == nil || f.out == "" {
			continue
		}
		st, err := saveTrace(f, hu.Finding.Trace, files)
		if err != nil {
			return err
		}
		tf := traceFiles(st)
		rep.Variants[i].Finding.Trace = &tf
	}
	rep.Files = append(rep.Files, files.paths...)
	return encodeJSON(stdout, rep)
}

func traceFiles(st savedTrace) run.TraceFiles {
	return run.TraceFiles{Property: st.t.Property.Name, JSON: st.json, HTML: st.html}
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
