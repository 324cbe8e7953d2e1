package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"anoncheck/check"
)

// TestProgressShowsPercentAndTimeLeft checks that the progress line gives
// the share of the expected states done and the time left at the rate so
// far, when the run's size is estimated, and nothing made up when not.
func TestProgressShowsPercentAndTimeLeft(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b}
	update, _ := p.Start("v5.4", func(check.Stats) float64 { return 1000 })
	update(check.Stats{States: 250, Depth: 3, Elapsed: 10 * time.Second})
	if !strings.HasSuffix(b.String(), ", ~25% of ~1.0e+03 states, ~30s left\n") {
		t.Errorf("progress line %q", b.String())
	}
	b.Reset()
	update(check.Stats{States: 1200, Elapsed: 10 * time.Second})
	if !strings.HasSuffix(b.String(), ", past the ~1.0e+03 states estimated\n") {
		t.Errorf("past the estimate: %q", b.String())
	}
	b.Reset()
	update, _ = p.Start("v5.4", func(check.Stats) float64 { return 0 })
	update(check.Stats{States: 250, Elapsed: 10 * time.Second})
	if strings.Contains(b.String(), "%") || strings.Contains(b.String(), "left") {
		t.Errorf("no estimate: %q", b.String())
	}
}
