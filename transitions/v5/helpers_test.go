package v5_test

import (
	"testing"

	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
	v5 "anoncheck/transitions/v5"
)

// Protections and flags the scenarios use (scenariotest has their notes).
const (
	pR   = scenariotest.PR
	pRW  = scenariotest.PRW
	pRWX = scenariotest.PRWX
	fRW  = scenariotest.FRW
	fRWX = scenariotest.FRWX
	fRA  = scenariotest.FRA
)

type avWant = scenariotest.AVWant

// newEnv drives the v5.4 model (scenariotest.Env).
func newEnv(t *testing.T, pages, procs int) *scenariotest.Env {
	t.Helper()
	return scenariotest.New(t, v5.V54(), transitions.CountDegree, pages, procs)
}
