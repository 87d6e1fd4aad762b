package smartivr

import (
	"strings"
	"testing"
)

func TestCheckExtension(t *testing.T) {
	tests := []struct {
		ext    string
		errHas string // "" when valid
	}{
		{"100", ""},
		{"*72#", ""},
		{"+90_sales-1", ""},
		{"0", ""},
		{"-5", ""},
		{"A_1", ""},
		{strings.Repeat("1", MaxExtensionLen), ""},
		{"", "empty"},
		{"10 0", `"10 0" has ' ' at position 3`},
		{"100.5", `has '.'`},
		{"çağrı", "use only digits, letters"},
		{" 100", "has ' ' at position 1"},
		{strings.Repeat("1", MaxExtensionLen+1), "characters long"},
	}
	for _, tc := range tests {
		err := CheckExtension(tc.ext)
		switch {
		case tc.errHas == "" && err != nil:
			t.Errorf("CheckExtension(%q) = %v, want nil", tc.ext, err)
		case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
			t.Errorf("CheckExtension(%q) = %v, want an error containing %q", tc.ext, err, tc.errHas)
		}
	}
}

// TestTarget: Hipcall's target trims and checks extensions, and its default
// is required.
func TestTarget(t *testing.T) {
	tg := Target()
	if tg.Name != "hipcall" || !tg.DefaultRequired {
		t.Errorf("Target() = %+v, want hipcall with a required default", tg)
	}
	if got, err := tg.Check(" 205 "); err != nil || got != "205" {
		t.Errorf("Check(\" 205 \") = %q, %v; want 205", got, err)
	}
	for _, bad := range []string{"", "  ", "20 5", "1.5"} {
		if _, err := tg.Check(bad); err == nil {
			t.Errorf("Check(%q) succeeded", bad)
		}
	}
}
