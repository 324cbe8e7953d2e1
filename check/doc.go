// Package check is anoncheck's explicit-state explorer. It knows nothing of
// VMAs or anon_vmas: a Model gives it an initial state, the actions enabled
// in a state, the successor an action leads to, and a fingerprint; it is
// handed the properties to check as predicates on states.
//
// Run explores breadth first, level by level, so the first violation of a
// property it meets has the fewest actions after setup. Each state is
// explored once: a visited set holds 64-bit fingerprints, and for each
// state only its parent's index and the action that led to it are kept, so
// a violating path is rebuilt from parent links rather than from stored
// states.
//
// Setup: before the first level, Run closes the initial state under the
// model's setup actions (for anoncheck, the single-process layouts). All
// states so reached are at depth 0; the bound counts the actions after
// them, and a path starts with the setup actions that built its layout.
package check
