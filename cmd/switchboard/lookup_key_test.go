package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKeyArg(t *testing.T) {
	for _, tt := range []struct {
		arg   string
		pos   []string
		card  bool
		want  string // the error, or "name=value" parsed
		isErr bool
	}{
		{arg: "account=AB-12", want: "account=AB-12"},
		{arg: " account = ab=12 ", want: "account= ab=12 "},
		{arg: "account", want: "NAME=VALUE", isErr: true},
		{arg: "=AB-12", want: "NAME=VALUE", isErr: true},
		{arg: "pin=  ", want: "has no value", isErr: true},
		{arg: "pin=1234", pos: []string{"+442045205757"}, want: "not both", isErr: true},
		{arg: "pin=1234", card: true, want: "-card", isErr: true},
	} {
		kq, err := parseKeyArg(tt.arg, tt.pos, tt.card)
		switch {
		case tt.isErr && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("parseKeyArg(%q) error %v, want one mentioning %q", tt.arg, err, tt.want)
		case tt.isErr && strings.Contains(err.Error(), "1234"):
			t.Errorf("parseKeyArg(%q) error %q shows the value", tt.arg, err)
		case !tt.isErr && (err != nil || kq.Name+"="+kq.Value != tt.want):
			t.Errorf("parseKeyArg(%q) = %+v, %v; want %s", tt.arg, kq, err, tt.want)
		}
	}
}

// TestE2ELookupKeyCommand looks up an account number and checks a PIN-hash
// key is never shown: the CSV connector's records, indexed by the host.
func TestE2ELookupKeyCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// printf 'sha256:%s\n' "$(printf '%s' 1234 | sha256sum | cut -d' ' -f1)"
	const pinHash = "sha256:03ac674216f3e15c761ee1a5e255f067953623c8b388b4459e13f978d7c846f4"
	csv := "CustomerID,FirstName,LastName,Phone,Account,Pin,ManagerExt\n" +
		"C001,Ada,Lovelace,+44 20 4520 5757,AB-12; AB-13," + pinHash + ",1093\n" +
		"C002,Charles,Babbage,020 7946 0018,CD-34,,\n" +
		"C003,Grace,Hopper,0161 496 0000,CD-34,,\n"
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, "keys.yaml", `phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: customers
    plugin: csv
    keys:
      account: account_no
      pin: {field: pin_hash, hash: sha256}
    config:
      path: customers.csv
      columns:
        id: CustomerID
        first_name: FirstName
        last_name: LastName
        phones: [Phone]
      fields:
        account_no: {column: Account}
        pin_hash: {column: Pin}
        manager_ext: {column: ManagerExt}
`+managerRouting)
	cli(t, nil, "lookup", "-config", cfg, "-key", "account= ab-13 ").mustExit(0).
		stdoutHas(`key:`, `account = "ab-13"`, "contact C001 Ada Lovelace", "key match, via index/customers", "extension:", "1093", "account-manager")
	cli(t, nil, "lookup", "-config", cfg, "-json", "-key", "account=cd-34").mustExit(0).
		stdoutHas(`"ambiguous": true`, `"name": "account"`, `"destination": "1002"`, `"kind": "key"`)
	r := cli(t, nil, "lookup", "-config", cfg, "-key", "pin=1234").mustExit(0).
		stdoutHas("pin (hashed: the value is not shown)", "contact C001 Ada Lovelace", "1093")
	rj := cli(t, nil, "lookup", "-config", cfg, "-json", "-key", "pin=1234").mustExit(0).stdoutHas(`"hashed": true`, `"C001"`)
	for _, out := range []string{r.stdout, r.stderr, rj.stdout, rj.stderr} {
		if strings.Contains(out, "1234") || strings.Contains(out, "03ac6742") || strings.Contains(out, "pin_hash") {
			t.Errorf("a PIN lookup shows the PIN, its hash or its field:\n%s", out)
		}
	}
	// A number's lookup does not show the hash either.
	n := cli(t, nil, "lookup", "-config", cfg, "-json", "+442045205757").mustExit(0).stdoutHas(`"C001"`, `"account_no"`)
	if strings.Contains(n.stdout, "03ac6742") || strings.Contains(n.stdout, "pin_hash") {
		t.Errorf("a number's lookup shows the PIN hash:\n%s", n.stdout)
	}
	cli(t, nil, "lookup", "-config", cfg, "-key", "account=zz-99").mustExit(0).stdoutHas("match:", "none", "extension:", "1000")
	cli(t, nil, "lookup", "-config", cfg, "-key", "acount=AB-12").mustExit(exitUsage).
		stderrHas(`no connector configures key "acount"`, "account, pin")
	cli(t, nil, "lookup", "-config", cfg, "-key", "account").mustExit(exitUsage).stderrHas("NAME=VALUE")
}
