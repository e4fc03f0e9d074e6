package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/perfcase/perfcase/importers"
	"github.com/perfcase/perfcase/perftest"
	"github.com/perfcase/perfcase/scenario"
)

const importUsage = `usage: perfcase import [--from FORMAT] [-o out.yaml] FILE

Converts a document another tool wrote to a perfcase scenario. FORMAT is
told from the content when --from does not name it:

  perftest  a PerfTest case JSON: a CreateCase request body, a QueryCase
            response, or the wrapper document 'perfcase export' writes.
            The default, for any file no other format claims.
  har       a HAR 1.2 recording (a browser's "Save all as HAR"): requests
            in order, one transaction per page, think times from the
            gaps, static assets and browser-noise headers left out
            (--keep-static keeps the assets), and each value a response
            returned and a later request sends turned into an extraction,
            with a comment saying where it was found.
  curl      one or more "curl ..." commands, as a browser's "Copy as cURL"
            writes them (bash or cmd quoting).
  postman   a Postman collection v2.1: folders become transactions,
            variables (and --env's) variables, auth headers, and
            pm.environment.set of a JSON field an extraction.

- reads standard input. What is not converted is listed on standard error
as a note, with its place in the document. The rules are in
docs/importers.md; the PerfTest JSON shapes, and which stage fields each
pressure mode reads, in docs/perftest-json.md.

The YAML goes to standard output, or to the -o file. It is then checked
as 'perfcase validate' would check it; problems are listed on standard
error with their place in the document, and the YAML is written all the
same, to be fixed by hand. run and validate read these formats directly
too, with the default settings.

Example:
  perfcase import case.json -o case.yaml
  perfcase import --from har recording.har -o shop.yaml
  perfcase run --set base=http://127.0.0.1:8080 shop.yaml

Exit status: 0 converted, 2 the document cannot be converted (each error
names its line and column, and its JSONPath in a JSON document, e.g.
$.cases[0].contents[2].data_type).

Flags:
`

// converting is an importer that keeps its last conversion, whose
// comments the YAML gets.
type converting struct {
	importers.Converter
	last *importers.Converted
}

func (c *converting) Import(name string, src []byte) *scenario.Imported {
	c.last = c.Convert(name, src)
	return &c.last.Imported
}

// fallback claims every document: the PerfTest importer is the default,
// so that broken JSON is reported as such.
type fallback struct{ scenario.Importer }

func (fallback) Detect([]byte) bool { return true }

func runImport(e *env, args []string) error {
	fs := newFlagSet(e, "import", importUsage)
	out := fs.String("o", "", "write the YAML to `file` instead of standard output")
	from := fs.String("from", "", "the document's `format`: perftest, har, curl or postman (default: told from the content)")
	keepStatic := fs.Bool("keep-static", false, "har: keep the static assets (style sheets, scripts, images, fonts, media)")
	envFile := fs.String("env", "", "postman: a Postman environment `file` whose values win over the collection's")
	maxSize := addMaxFileSize(fs.FlagSet)
	in, done, err := fs.oneFile(args, "name one file to convert, e.g. perfcase import case.json")
	if done || err != nil {
		return err
	}
	pm := importers.Postman{EnvName: *envFile}
	if *envFile != "" {
		if pm.Env, err = readEnvFile(*envFile, int64(*maxSize)); err != nil {
			return fs.mistake("--env %s: %v", *envFile, err)
		}
	}
	conv := map[string]*converting{
		"har":     {Converter: importers.HAR{KeepStatic: *keepStatic}},
		"postman": {Converter: pm},
		"curl":    {Converter: importers.Curl{}},
	}
	var opts scenario.Options
	switch c, ok := conv[*from]; {
	case *from == "perftest":
		opts.As = perftest.JSON
	case ok:
		opts.As = c
	case *from != "":
		return fs.mistake("--from %q: want perftest, har, curl or postman", *from)
	default:
		opts.Importers = []scenario.Importer{perftest.JSON, conv["har"], conv["postman"], conv["curl"], fallback{perftest.JSON}}
	}
	l, err := openScenario(e, in, opts, maxSize)
	in = scenarioName(l, in)
	var used *importers.Converted
	if l != nil && l.Format == perftest.JSON.Format() && (*keepStatic || *envFile != "") {
		return fs.mistake("--keep-static applies to a HAR and --env to a Postman collection; %s is %s", in, l.Format)
	}
	for name, c := range conv {
		if c.last != nil {
			used = c.last
			if *keepStatic && name != "har" || *envFile != "" && name != "postman" {
				return fs.mistake("--keep-static applies to a HAR and --env to a Postman collection; %s is %s", in, l.Format)
			}
		}
	}
	if l == nil || l.File == nil {
		reportScenarioError(e.stderr, in, err)
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s was not converted; fix it at the places above", in)}
	}
	var yml []byte
	var ferr error
	if used != nil {
		yml, ferr = importers.YAML(used)
	} else {
		yml, ferr = scenario.FormatYAML(l.File)
		header := fmt.Sprintf("# Converted from %s by perfcase import. Think times are plain\n# pauses; PerfTest's think time paces passes, like pacing: here.\n", filepath.Base(in))
		yml = append([]byte(header), yml...)
	}
	if ferr != nil {
		return ferr
	}
	if *out == "" {
		if _, werr := e.stdout.Write(yml); werr != nil {
			return werr
		}
	} else if werr := writeOutput(*out, "the YAML", yml); werr != nil {
		return werr
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "perfcase import: converted, but %s does not validate yet; fix these (in the %s or the YAML), then run perfcase validate:\n", in, strings.TrimPrefix(l.Format, "PerfTest case "))
		reportScenarioError(e.stderr, in, err)
	}
	return nil
}

// readEnvFile reads a Postman environment, a regular file within the
// scenario size limit.
func readEnvFile(name string, limit int64) ([]byte, error) {
	st, err := os.Stat(name)
	switch {
	case err != nil:
		return nil, err
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file")
	case st.Size() > limit:
		return nil, fmt.Errorf("over the %d-byte limit (--max-file-size)", limit)
	}
	return os.ReadFile(name)
}
