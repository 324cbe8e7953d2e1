package v5_test

// Scenario tests of madvise(MADV_DONTNEED) in the v5.4 model: one per
// kernel function, madvise_dontneed_free(), madvise_dontneed_single_vma()
// and zap_page_range(). The scenarios, drawn in scenariotest/dontneed.go,
// are the same in every generation.

import (
	"testing"

	"anoncheck/transitions/scenariotest"
)

// TestMadviseDontNeedFree: the walk hands each mapped piece to
// madvise_dontneed_free(), and reports the hole.
func TestMadviseDontNeedFree(t *testing.T) { scenariotest.ScenarioDontNeedHole(newEnv(t, 4, 1)) }

// TestMadviseDontNeedSingleVMA: the pages of the range go; the VMA keeps
// its anon_vma, which a later write uses.
func TestMadviseDontNeedSingleVMA(t *testing.T) {
	scenariotest.ScenarioDontNeedKeepsAnonVMA(newEnv(t, 3, 1), "zap_page_range")
}

// TestZapPageRange: a page shared after fork loses only the caller's
// mapping.
func TestZapPageRange(t *testing.T) {
	scenariotest.ScenarioDontNeedSharedPage(newEnv(t, 1, 2), "zap_page_range")
}
