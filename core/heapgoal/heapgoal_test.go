package heapgoal

import "testing"

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name  string
		index int64
		want  int
	}{
		{"no index: the default", 0, 100},
		{"100k contacts (12 MB): the default", 12 * mb, 100},
		{"index where 64 MB is all of what is live", 16 * mb, 100},
		{"1M contacts (124 MB): 64 MB of 172", 124 * mb, 37},
		{"4M contacts (500 MB): a quarter", 500 * mb, 25},
		{"10M contacts (1.25 GB): the floor", 1280 * mb, 25},
		{"negative is none", -1, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percent(tc.index); got != tc.want {
				t.Errorf("Percent(%d MB) = %d, want %d", tc.index/mb, got, tc.want)
			}
		})
	}
}

func TestFitSetsOnChange(t *testing.T) {
	var calls []int
	f := &Fitter{current: 100, set: func(p int) int { calls = append(calls, p); return 0 }}
	f.Fit(0)         // 100: unchanged
	f.Fit(124 << 20) // 37
	f.Fit(123 << 20) // still 37
	f.Fit(10 << 20)  // back to 100
	if want := []int{37, 100}; len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] {
		t.Errorf("SetGCPercent calls %v, want %v", calls, want)
	}
}

func TestOperatorGOGCWins(t *testing.T) {
	t.Setenv("GOGC", "200")
	f := New()
	called := false
	f.set = func(int) int { called = true; return 0 }
	f.Fit(1 << 30)
	if called {
		t.Error("Fit changed the GC target although GOGC is set in the environment")
	}
	var none *Fitter
	none.Fit(1 << 30) // a nil Fitter does nothing
}
