package v6_test

// Scenario tests of madvise(MADV_DONTNEED) in the v6.18 model (and the
// v6.1 table, which has v5.4's functions): one per kernel function,
// madvise_dontneed_free(), madvise_dontneed_single_vma() and
// zap_page_range_single_batched() (zap_page_range() in v6.1). The
// scenarios, drawn in scenariotest/dontneed.go, are the same in every
// generation.

import (
	"testing"

	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
	v6 "anoncheck/transitions/v6"
)

// TestMadviseDontNeedFree: madvise_walk_vmas() hands each mapped piece to
// madvise_dontneed_free(), and reports the hole.
func TestMadviseDontNeedFree(t *testing.T) { scenariotest.ScenarioDontNeedHole(newEnv(t, 4, 1)) }

// TestMadviseDontNeedSingleVMA: the pages of the range go; the VMA keeps
// its anon_vma, which a later write uses.
func TestMadviseDontNeedSingleVMA(t *testing.T) {
	scenariotest.ScenarioDontNeedKeepsAnonVMA(newEnv(t, 3, 1), "zap_page_range_single_batched")
}

// TestZapPageRangeSingleBatched: a page shared after fork loses only the
// caller's mapping; the child's write reuses it
// (wp_can_reuse_anon_folio(): one reference left).
func TestZapPageRangeSingleBatched(t *testing.T) {
	scenariotest.ScenarioDontNeedSharedPage(newEnv(t, 1, 2), "zap_page_range_single_batched")
}

// TestZapPageRangeV61: the v6.1 table zaps through zap_page_range().
func TestZapPageRangeV61(t *testing.T) {
	e := scenariotest.New(t, v6.V61(), transitions.CountChildrenActive, 3, 1)
	scenariotest.ScenarioDontNeedKeepsAnonVMA(e, "zap_page_range")
}
