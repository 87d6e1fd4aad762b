package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// prefixes is a list of networks.
type prefixes []netip.Prefix

// parsePrefixes reads a checked list (Config.Check reported bad entries).
func parsePrefixes(list []string) (prefixes, error) {
	out := make(prefixes, 0, len(list))
	for _, s := range list {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// contains reports whether ip is in one of the networks.
func (ps prefixes) contains(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// peerAddr is the address of the connection's other end (the zero Addr
// when RemoteAddr does not parse, as in some handler tests).
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, _ := netip.ParseAddr(host)
	return ip.Unmap()
}

// clientAddr is who sent r: the peer, or, when the peer is a trusted
// proxy, the nearest address in X-Forwarded-For that is not a trusted
// proxy itself (read from the right, as each proxy appends the address it
// received from). An entry that does not parse stops the walk at the last
// trusted hop: what a proxy appended is believed, nothing before it.
func clientAddr(r *http.Request, trusted prefixes) (client, peer netip.Addr) {
	peer = peerAddr(r.RemoteAddr)
	client = peer
	if len(trusted) == 0 || !peer.IsValid() || !trusted.contains(peer) {
		return client, peer
	}
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			ip, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return client, peer
			}
			client = ip.Unmap()
			if !trusted.contains(client) {
				return client, peer
			}
		}
	}
	return client, peer
}

// ClientAddr is the address r came from, as the server decided: the peer,
// or the address a trusted proxy forwarded for (server.trusted_proxies).
// Allow lists and limits use it. Outside a request the server serves, it
// is the peer.
func ClientAddr(r *http.Request) netip.Addr {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return info.client
	}
	return peerAddr(r.RemoteAddr)
}
