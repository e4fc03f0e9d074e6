package mqtt

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
)

// broker is a mosquitto the test started, with five listeners on free
// loopback ports: plain MQTT, MQTT over WebSocket, TLS that requires a
// client certificate, plain MQTT that requires a password, and MQTT over
// WebSocket over TLS.
type broker struct {
	plain, ws, tls, auth, wss int
	dir                       string
	ca                        *x509.CertPool
	client                    tls.Certificate
	cmd                       *exec.Cmd
	out                       *bytes.Buffer
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startBroker(t *testing.T) *broker {
	t.Helper()
	bin := testsupport.Peer(t, "mosquitto", "mosquitto")
	b := &broker{plain: freePort(t), ws: freePort(t), tls: freePort(t), auth: freePort(t), wss: freePort(t), dir: t.TempDir(), out: new(bytes.Buffer)}
	b.certs(t)
	passwd := filepath.Join(b.dir, "passwd")
	if out, err := exec.Command(testsupport.Peer(t, "mosquitto", "mosquitto_passwd"), "-c", "-b", passwd, "alice", "secret").CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	conf := fmt.Sprintf(`# mosquitto 2 listens only where a listener line says.
per_listener_settings true
# Stay the user the test runs as: as root it would switch to "mosquitto",
# who cannot read the test's folder. (No effect when not root.)
user root
log_dest stderr
log_type error
log_type warning

listener %[1]d 127.0.0.1
allow_anonymous true

listener %[2]d 127.0.0.1
protocol websockets
allow_anonymous true

listener %[3]d 127.0.0.1
cafile %[5]s/ca.pem
certfile %[5]s/server.pem
keyfile %[5]s/server.key
require_certificate true
allow_anonymous true

listener %[4]d 127.0.0.1
allow_anonymous false
password_file %[6]s

listener %[7]d 127.0.0.1
protocol websockets
certfile %[5]s/server.pem
keyfile %[5]s/server.key
allow_anonymous true
`, b.plain, b.ws, b.tls, b.auth, b.dir, passwd, b.wss)
	path := filepath.Join(b.dir, "mosquitto.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.cmd = exec.Command(bin, "-c", path)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			b.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("mosquitto output:\n%s", b.out.String())
		}
	})
	for _, port := range []int{b.plain, b.ws, b.tls, b.auth, b.wss} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				t.Fatalf("mosquitto exited:\n%s", b.out.String())
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("mosquitto does not listen on %d after 10 s:\n%s", port, b.out.String())
			}
		}
	}
	return b
}

func (b *broker) url(scheme string, port int) string {
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
}

// certs makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all signed by the CA, as PEM files in the broker's folder.
func (b *broker) certs(t *testing.T) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(b.dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "perfcase test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write("ca.pem", "CERTIFICATE", caDER)
	b.ca = x509.NewCertPool()
	b.ca.AddCert(caCert)
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, *ecdsa.PrivateKey) {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	srvDER, srvKey := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	write("server.pem", "CERTIFICATE", srvDER)
	kb, _ := x509.MarshalECPrivateKey(srvKey)
	write("server.key", "EC PRIVATE KEY", kb)
	cliDER, cliKey := leaf(3, "perfcase client", x509.ExtKeyUsageClientAuth, nil)
	b.client = tls.Certificate{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}
}
