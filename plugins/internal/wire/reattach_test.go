package wire

import (
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
	if back := ReattachFrom(rc); back != *r {
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
