package smartivr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-hq/switchboard/core/routing"
)

// TargetName is Hipcall's key in routing rules (to.hipcall, to_expr.hipcall)
// and in routing.default.
const TargetName = "hipcall"

// Target is the Smart IVR's decision point for the routing rules: a Hipcall
// extension, and always one, so routing.default.hipcall is required.
func Target() routing.Target {
	return routing.Target{Name: TargetName, Check: normaliseExtension, DefaultRequired: true}
}

// normaliseExtension trims ext and checks it.
func normaliseExtension(ext string) (string, error) {
	ext = strings.TrimSpace(ext)
	return ext, CheckExtension(ext)
}

// MaxExtensionLen is the longest extension accepted. Hipcall extensions
// are short strings; anything longer is a mistake in a rule or a record.
const MaxExtensionLen = 64

// CheckExtension reports whether ext is a usable destination: non-empty, at
// most MaxExtensionLen characters, and only [0-9A-Za-z*#+_-].
func CheckExtension(ext string) error {
	if ext == "" {
		return errors.New("extension is empty: set it to an extension number such as \"100\"")
	}
	if len(ext) > MaxExtensionLen {
		return fmt.Errorf("extension %.20q... is %d characters long: use at most %d", ext, len(ext), MaxExtensionLen)
	}
	for i := 0; i < len(ext); i++ {
		if !extensionChar(ext[i]) {
			return fmt.Errorf("extension %q has %q at position %d: use only digits, letters and * # + _ -", ext, ext[i], i+1)
		}
	}
	return nil
}

func extensionChar(c byte) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	switch c {
	case '*', '#', '+', '_', '-':
		return true
	}
	return false
}
