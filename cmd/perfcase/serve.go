package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfcase/perfcase/internal/redact"
	"github.com/perfcase/perfcase/server"
	"github.com/perfcase/perfcase/server/store"
)

const serveUsage = `usage: perfcase serve [flags]
       perfcase serve token create|list|revoke [flags]

Serves the report service: it stores the runs 'perfcase upload' and
'perfcase run --upload' send, serves them through the PerfTest report
API's read side and perfcase's own API, and shows them in a web UI at
/ui/ (projects, scenarios, runs, trends, comparisons, baselines).
docs/report-service.md describes the API, the UI and the security model.

Runs are stored in an embedded SQLite database in the --data folder
(created if needed), or with --db postgres://user@host/db in PostgreSQL
(the password, if any, is better given in PERFCASE_DB than on the
command line, where ps shows it). The schema is migrated at start.

Every call needs a token of its project: make one with
  perfcase serve token create --project shop --scope write
It is printed once; the service keeps only its hash. Scopes: read (the
API and the UI), write (also uploads and baselines), admin (also
deleting runs). --public-read lets anyone read without a token.

The service listens on 127.0.0.1:8686. Another address is served only
when --addr names it, and one that is not loopback only over TLS
(--tls-cert and --tls-key), or with --insecure, since tokens would
travel in clear.

Example:
  perfcase serve --data ./perfcase-data &
  export PERFCASE_TOKEN=$(perfcase serve token create --data ./perfcase-data --project shop --scope write)
  perfcase run --out r.json --upload --endpoint http://127.0.0.1:8686 --project shop s.yaml
  open http://127.0.0.1:8686/ui/

Exit status: 0 stopped by a signal, 2 a bad flag, address or database,
3 the service failed.

Flags:
`

// storeFlags choose the store: --data or --db.
type storeFlags struct {
	data, db string
}

func (f *storeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "perfcase-data", "keep the SQLite database in `folder`")
	fs.StringVar(&f.db, "db", "", "store in PostgreSQL at this `URL` (postgres://user@host:5432/db?sslmode=…) instead; default $PERFCASE_DB")
}

// open opens the store the flags name; its errors never show the
// database's password.
func (f *storeFlags) open(e *env, ctx context.Context) (store.Store, string, error) {
	dsn := f.db
	if dsn == "" && e.lookupEnv != nil {
		dsn, _ = e.lookupEnv("PERFCASE_DB")
	}
	if dsn == "" {
		st, err := store.OpenSQLite(ctx, f.data)
		if err != nil {
			return nil, "", usageError("--data %s: %v", f.data, err)
		}
		return st, "SQLite in " + f.data, nil
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, "", usageError("--db wants a postgres:// URL, e.g. postgres://perfcase@db.example.com:5432/perfcase")
	}
	pw, _ := u.User.Password()
	mask := redact.NewMask("[password]", pw)
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		return nil, "", usageError("--db: %s", mask.String(err.Error()))
	}
	return st, "PostgreSQL at " + u.Redacted(), nil
}

func runServe(e *env, args []string) error {
	if len(args) > 0 && args[0] == "token" {
		return runToken(e, args[1:])
	}
	fs := newFlagSet(e, "serve", serveUsage)
	var sf storeFlags
	sf.add(fs.FlagSet)
	addr := fs.String("addr", "127.0.0.1:8686", "listen on `address` (host:port; port 0 picks a free one)")
	cert := fs.String("tls-cert", "", "serve HTTPS with the certificate in `file` (PEM; with --tls-key)")
	key := fs.String("tls-key", "", "the certificate's private key `file` (PEM)")
	insecure := fs.Bool("insecure", false, "serve plain HTTP on an address that is not loopback: tokens travel in clear")
	public := fs.Bool("public-read", false, "let anyone read runs, the API and the UI without a token (uploads still need one)")
	retain := fs.String("retain", "", "delete runs that ended longer ago than this `age` (e.g. 180d, 720h); scenarios' baselines are kept; default: keep all")
	maxSize := sizeFlag(server.DefaultMaxReportSize)
	fs.Var(&maxSize, "max-report-size", "refuse an upload larger than `size` (413)")
	rate := fs.Float64("rate", server.DefaultRate, "allow each token `n` requests per second on average (429 past it); negative: no limit")
	burst := fs.Int("burst", server.DefaultBurst, "and `n` requests at once")
	if done, err := fs.parse(args); done || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fs.mistake("serve takes flags only, got %q", fs.Arg(0))
	}
	keep, err := parseAge(*retain)
	if err != nil {
		return fs.mistake("--retain: %v", err)
	}
	if (*cert == "") != (*key == "") {
		return fs.mistake("--tls-cert and --tls-key go together")
	}
	var tlsConf *tls.Config
	if *cert != "" {
		c, err := tls.LoadX509KeyPair(*cert, *key)
		if err != nil {
			return usageError("--tls-cert/--tls-key: %v", pathErr(err))
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return fs.mistake("--addr %q is not host:port", *addr)
	}
	if !loopbackHost(*addr) && tlsConf == nil && !*insecure {
		return usageError("--addr %s is not a loopback address: serve it over TLS (--tls-cert, --tls-key), or give --insecure to send tokens in clear", *addr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, where, err := sf.open(e, ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	srv := server.New(server.Config{Store: st, PublicRead: *public, MaxReportSize: int64(maxSize), Rate: *rate, Burst: *burst,
		Retain: keep, Secure: tlsConf != nil, Log: e.stderr})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return usageError("cannot listen on %s: %v", *addr, err)
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tlsConf)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	if keep > 0 {
		go srv.RetainEvery(ctx, time.Hour)
	}
	fmt.Fprintf(e.stderr, "perfcase serve: listening on %s://%s (runs in %s; UI at %s://%s/ui/)\n", scheme, ln.Addr(), where, scheme, ln.Addr())
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	sigs, stopSignals := e.notifySignals()
	defer stopSignals()
	select {
	case err := <-served:
		return &exitError{code: exitAborted, err: err}
	case <-sigs:
	}
	fmt.Fprintln(e.stderr, "perfcase serve: stopping: requests in flight may finish for 10 s")
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return &exitError{code: exitAborted, err: err}
	}
	return nil
}

// parseAge reads an age: a number of days ("180d") or a Go duration
// ("720h"); "" is none.
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(d, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q is not a number of days, e.g. 180d", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not an age such as 180d or 720h", s)
	}
	return d, nil
}

const tokenUsage = `usage: perfcase serve token create --project P --scope read|write|admin [--name NOTE]
       perfcase serve token list --project P
       perfcase serve token revoke --project P ID

Manages the report service's tokens, in the store the service uses
(--data or --db, as for perfcase serve; it may be running). create makes
the project when it is new, and prints the token on standard output, once:
the store keeps only its SHA-256 hash, so a lost token cannot be shown
again, only revoked and replaced. list shows each token's id, scope,
first characters and when it was made or revoked. revoke refuses the
token from then on.

Example:
  perfcase serve token create --project shop --scope write --name ci > token.txt
  perfcase upload --endpoint http://127.0.0.1:8686 --project shop --token-file token.txt r.json

Flags:
`

func runToken(e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if helpRequested(args) {
			fmt.Fprint(e.stdout, tokenUsage)
			return nil
		}
		return usageError("say what to do: perfcase serve token create|list|revoke (see 'perfcase serve token --help')")
	}
	verb, args := args[0], args[1:]
	fs := newFlagSet(e, "serve token "+verb, tokenUsage)
	var sf storeFlags
	sf.add(fs.FlagSet)
	project := fs.String("project", "", "the project's `id`")
	scope := fs.String("scope", "", "what the token may do: `read`, write or admin")
	name := fs.String("name", "", "a `note` saying what the token is for")
	rest, done, err := fs.parseArgs(args)
	if done || err != nil {
		return err
	}
	if *project == "" {
		return fs.mistake("give the project: --project ID")
	}
	ctx := context.Background()
	switch verb {
	case "create":
		sc, ok := store.ParseScope(*scope)
		if !ok {
			return fs.mistake("give the scope: --scope read, write or admin")
		}
		if len(rest) > 0 {
			return fs.mistake("create takes flags only, got %q", rest[0])
		}
		st, _, err := sf.open(e, ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		p, err := st.Project(ctx, *project)
		if errors.Is(err, store.ErrNotFound) {
			p, err = st.CreateProject(ctx, *project)
		}
		if err != nil {
			return err
		}
		secret, hash, prefix := server.NewToken()
		t := store.Token{ProjectID: p.ID, Name: *name, Scope: sc, Hash: hash, Prefix: prefix}
		if err := st.CreateToken(ctx, &t); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, secret)
		fmt.Fprintf(e.stderr, "perfcase serve token: token %d (%s) of project %s; it is shown this once: keep it in a secret store\n", t.ID, sc, p.Name)
	case "list":
		st, p, err := tokenProject(e, ctx, &sf, *project)
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := st.Tokens(ctx, p.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "id\tscope\ttoken\tname\tcreated\trevoked")
		for _, t := range ts {
			revoked := "-"
			if !t.Revoked.IsZero() {
				revoked = t.Revoked.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Scope, t.Prefix, t.Name, t.Created.UTC().Format(time.RFC3339), revoked)
		}
		tw.Flush()
	case "revoke":
		if len(rest) != 1 {
			return fs.mistake("name the token's id (perfcase serve token list shows it)")
		}
		tid, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			return fs.mistake("%q is not a token id", rest[0])
		}
		st, p, err := tokenProject(e, ctx, &sf, *project)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.RevokeToken(ctx, p.ID, tid, time.Now()); errors.Is(err, store.ErrNotFound) {
			return usageError("project %s has no live token %d", p.Name, tid)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "perfcase serve token: token %d of project %s is revoked\n", tid, p.Name)
	default:
		return usageError("unknown token command %q: create, list or revoke", verb)
	}
	return nil
}

func tokenProject(e *env, ctx context.Context, sf *storeFlags, name string) (store.Store, store.Project, error) {
	st, _, err := sf.open(e, ctx)
	if err != nil {
		return nil, store.Project{}, err
	}
	p, err := st.Project(ctx, name)
	if err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, store.Project{}, usageError("no project %q", name)
		}
		return nil, store.Project{}, err
	}
	return st, p, nil
}
