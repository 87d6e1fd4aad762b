package plugins

import "github.com/switchboard-hq/switchboard/plugins/internal/wire"

// ProtocolVersions lists the connector protocol versions this build
// speaks, lowest first (today [1], connectors.ProtocolVersion). The host
// offers them at the handshake and go-plugin picks the newest one both
// sides speak.
func ProtocolVersions() []int { return wire.ProtocolVersions() }
