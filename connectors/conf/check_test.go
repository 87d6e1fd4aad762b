package conf

import (
	"fmt"
	"testing"
)

// TestFillZero: zero fields and empty lists take the default; set fields,
// and booleans, stay.
func TestFillZero(t *testing.T) {
	type cfg struct {
		On    bool
		Path  string
		N     int
		List  []string
		Given string
	}
	def := cfg{On: true, Path: "/d", N: 3, List: []string{"a"}, Given: "default"}
	got := FillZero(cfg{List: []string{}, Given: "mine"}, def)
	want := cfg{On: false, Path: "/d", N: 3, List: []string{"a"}, Given: "mine"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("FillZero = %+v, want %+v", got, want)
	}
}
