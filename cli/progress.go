package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"anoncheck/check"
)

// progress prints run statistics to stderr: a redrawn line on a terminal,
// plain periodic lines otherwise. It is a run.Progress.
type progress struct {
	w       io.Writer
	tty     bool
	every   time.Duration
	printed bool
}

// progressMode reads --progress; nil means never.
func progressMode(mode string, stderr io.Writer) (*progress, error) {
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	switch mode {
	case "never":
		return nil, nil
	case "always":
	case "auto":
	default:
		return nil, fmt.Errorf("--progress %q: must be auto, always or never", mode)
	}
	p := &progress{w: stderr, tty: tty, every: 10 * time.Second}
	if tty {
		p.every = 500 * time.Millisecond
	} else if mode == "always" {
		p.every = 2 * time.Second
	}
	return p, nil
}

// Start returns the statistics printer of the run named name, expected
// to end by expected(stats) states (0: unknown).
func (p *progress) Start(name string, expected func(check.Stats) float64) (func(check.Stats), time.Duration) {
	return func(st check.Stats) {
		line := fmt.Sprintf("%s: %d states, depth %d, frontier %d, %.0f states/s, %s, heap %d MiB%s",
			name, st.States, st.Depth, st.Frontier, float64(st.States)/st.Elapsed.Seconds(),
			st.Elapsed.Round(time.Second), st.HeapBytes>>20, remaining(st, expected(st)))
		if p.tty {
			fmt.Fprintf(p.w, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(p.w, line)
		}
		p.printed = true
	}, p.every
}

// Done clears a live line.
func (p *progress) Done() {
	if p.tty && p.printed {
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.printed = false
}

// remaining says how far a run expected to end by total states (the size
// estimate, or --max-states) has got and how long it may take yet at the
// rate so far: ", ~12% of ~1.8e+06 states, ~40s left". The estimate is
// rough and mostly high, so a run past it says so rather than count on
// above 100%.
func remaining(st check.Stats, total float64) string {
	if total <= 0 || st.States <= 0 || st.Elapsed <= 0 {
		return ""
	}
	n := float64(st.States)
	if n >= total {
		return fmt.Sprintf(", past the ~%.1e states estimated", total)
	}
	left := time.Duration(float64(st.Elapsed) * (total - n) / n)
	return fmt.Sprintf(", ~%.0f%% of ~%.1e states, ~%s left", 100*n/total, total, left.Round(time.Second))
}
