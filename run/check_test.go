package run

import (
	"context"
	"testing"
	"time"
)

// TestBudgetShares checks that each variant gets an equal share of the
// time left when it starts, and that without a limit there is no deadline.
func TestBudgetShares(t *testing.T) {
	b := &budget{deadline: time.Now().Add(9 * time.Second)}
	ctx, cancel := b.share(context.Background(), 3)
	defer cancel()
	d, ok := ctx.Deadline()
	if left := time.Until(d); !ok || left > 3*time.Second || left < 2900*time.Millisecond {
		t.Errorf("the first of 3 variants gets %v of 9s, want 3s", left)
	}
	ctx, cancel = b.share(context.Background(), 1)
	defer cancel()
	if d, _ := ctx.Deadline(); d.Sub(b.deadline).Abs() > time.Millisecond {
		t.Errorf("the last variant's deadline is %v, want the command's %v", d, b.deadline)
	}
	ctx, cancel = (&Config{}).budget().share(context.Background(), 2)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a deadline without --timeout")
	}
}
