package server

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// certReloader serves a certificate from files and reads them again when
// they change (a renewal by certbot or a secret mount update), so a
// renewed certificate is used without a restart. A change that does not
// load (a half-written pair) keeps the previous certificate and logs why.
type certReloader struct {
	certFile, keyFile string
	log               hclog.Logger

	mu   sync.Mutex
	cert *tls.Certificate
	// stamp identifies the files' versions the certificate was read from.
	stamp string
	// failed is the stamp whose load failed, so it is logged once.
	failed string
}

// newCertReloader reads the pair once: a pair that does not load at start
// is an error.
func newCertReloader(cfg TLSConfig, log hclog.Logger) (*certReloader, error) {
	cr := &certReloader{certFile: cfg.CertFile, keyFile: cfg.KeyFile, log: log}
	stamp, err := cr.fileStamp()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(cr.certFile, cr.keyFile)
	if err != nil {
		return nil, fmt.Errorf("server.tls: %w (check that cert_file holds the PEM certificate chain and key_file its private key)", err)
	}
	cr.cert, cr.stamp = &cert, stamp
	return cr, nil
}

// fileStamp is the files' sizes, modification times and inode changes.
func (cr *certReloader) fileStamp() (string, error) {
	var b bytes.Buffer
	for _, f := range []string{cr.certFile, cr.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return "", fmt.Errorf("server.tls: %w", err)
		}
		fmt.Fprintf(&b, "%s|%d|%d|%v;", f, fi.Size(), fi.ModTime().UnixNano(), fi.Sys())
	}
	return b.String(), nil
}

// getCertificate is tls.Config.GetCertificate: the current certificate,
// read again first when the files changed. Two stats per handshake are
// far below the handshake's own cost.
func (cr *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	stamp, err := cr.fileStamp()
	if err != nil || stamp == cr.stamp || stamp == cr.failed {
		if err != nil && cr.failed != err.Error() {
			cr.failed = err.Error()
			cr.log.Error("TLS certificate files unreadable: serving the previous certificate", "error", err)
		}
		return cr.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(cr.certFile, cr.keyFile)
	if err != nil {
		cr.failed = stamp
		cr.log.Error("TLS certificate files changed but do not load: serving the previous certificate until they do", "error", err)
		return cr.cert, nil
	}
	cr.cert, cr.stamp, cr.failed = &cert, stamp, ""
	cr.log.Info("TLS certificate reloaded", "cert_file", cr.certFile)
	return cr.cert, nil
}

// tlsConfig is the public listener's TLS configuration.
func (cr *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: cr.getCertificate}
}
