package plugins

import (
	"bytes"
	"strings"
	"testing"
)

func TestReattachEnv(t *testing.T) {
	for name, want := range map[string]string{
		"customers": "SWITCHBOARD_REATTACH_CUSTOMERS",
		"my-crm_2":  "SWITCHBOARD_REATTACH_MY_CRM_2",
	} {
		if got := ReattachEnv(name); got != want {
			t.Errorf("ReattachEnv(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseReattach(t *testing.T) {
	good := `{"protocol":"grpc","protocol_version":1,"pid":42,"test":true,"addr":{"network":"unix","string":"/tmp/p.sock"}}`
	r, err := ParseReattach(good)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := r.Config()
	if err != nil {
		t.Fatal(err)
	}
	if rc.Pid != 42 || !rc.Test || rc.Addr.String() != "/tmp/p.sock" || rc.Addr.Network() != "unix" {
		t.Errorf("Config() = %+v", rc)
	}
	if back := reattachFrom(rc); back != *r {
		t.Errorf("round trip: %+v, want %+v", back, *r)
	}

	tests := []struct{ in, want string }{
		{`not json`, "not a reattach config"},
		{`{"protocol":"grpc","extra":1}`, `unknown field "extra"`},
		{`{"protocol":"grpc","protocol_version":1,"pid":1,"addr":{"network":"udp","string":"x"}}`, `addr.network is "udp"`},
		{`{"protocol":"grpc","protocol_version":1,"pid":1,"addr":{"network":"tcp"}}`, "addr.string is missing"},
		{`{}`, `protocol is "", want "grpc"; protocol_version is missing; pid is missing`},
	}
	for _, tt := range tests {
		if _, err := ParseReattach(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseReattach(%s): %v; want it to say %q", tt.in, err, tt.want)
		}
	}
}

func TestPrintReattach(t *testing.T) {
	var buf bytes.Buffer
	printReattach(&buf, "example", Reattach{Protocol: "grpc", ProtocolVersion: 1, Pid: 7, Test: true,
		Addr: ReattachAddr{Network: "unix", String: "/tmp/p"}})
	out := buf.String()
	raw := `{"protocol":"grpc","protocol_version":1,"pid":7,"test":true,"addr":{"network":"unix","string":"/tmp/p"}}`
	for _, want := range []string{
		"export SWITCHBOARD_REATTACH_EXAMPLE='" + raw + "'",
		"reattach: " + raw,
		"SWITCHBOARD_PLUGIN_DEBUG=1 dlv exec",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[len(lines)-1] != raw {
		t.Errorf("last line %q; want the config alone", lines[len(lines)-1])
	}
}

func TestVersionMismatch(t *testing.T) {
	tests := []struct {
		offered string
		want    string
	}{
		{"", ""},
		{"1", ""},
		{"2,1", ""},
		{"2,3", "speaks connector protocol version(s) 2,3, this plugin speaks [1]"},
	}
	for _, tt := range tests {
		got := versionMismatch(tt.offered, []int{1})
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("versionMismatch(%q) = %q; want %q", tt.offered, got, tt.want)
		}
	}
}
