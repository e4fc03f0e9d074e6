package scenario

// An Importer reads a scenario written in another tool's format. Open
// asks the importers of Options.Importers in order, then reads the file as
// YAML if none claims it: a new format is one Importer and one row in the
// list the command passes.
//
// The File an importer returns goes through every check a YAML scenario
// goes through: Open writes it as the node tree FormatYAML would encode,
// each node placed where Imported.Source says its value was written, and
// walks and compiles that tree as it does a YAML file. So every check,
// present and future, applies to every format, and errors point into the
// imported document.
type Importer interface {
	// Format names the format in messages, e.g. "PerfTest case JSON".
	Format() string
	// Detect reports whether src is written in this format rather than
	// in perfcase's YAML, whatever the file's name. It must accept any
	// input without failing, and should claim a document that is broken
	// but plainly meant in its format, so that its errors are the
	// format's.
	Detect(src []byte) bool
	// Import converts src, read from the file name.
	Import(name string, src []byte) *Imported
}

// Imported is a document converted to a File.
type Imported struct {
	// File is the converted scenario; nil when there are Errors.
	File *File
	// Errors are what only the source format can get wrong (syntax,
	// types, unknown codes), placed in the document. When there are any,
	// nothing else is checked: what the checks would say about values
	// that could not be converted is noise.
	Errors ErrorList
	// Notes name values that were read and ignored: worth a look, never
	// an error.
	Notes ErrorList
	// Source places the File's values in the document; nil leaves every
	// error at the file's start.
	Source Source
}

// Source says where each value of an imported File was written in the
// document it came from.
type Source interface {
	// At is where owner's value under key was written. owner is a node
	// of the File (a *Case, a *Stage, a *Request, &list[i] of a []KV);
	// key is the YAML key FormatYAML writes the value under, "" for the
	// node itself, and NameKey for the name a node is keyed by in YAML.
	// A value At does not know takes the place of what holds it.
	At(owner any, key string) (Spot, bool)
	// PathAt names the value written at p in the format's own terms, a
	// JSONPath say, shown beside errors; false when p is in no value.
	PathAt(p Pos) (string, bool)
}

// Spot is where one value of an imported document is written.
type Spot struct {
	Key Pos // its key; zero when it has none, as an item of a list
	Val Pos // its first character
	// Quoted marks a string value whose text starts one column after Val,
	// so that positions inside the text (a template's ${) count from
	// there, as they do in quoted YAML.
	Quoted bool
}

// NameKey is the Source key of the name a node is keyed by in YAML: a
// variable, a transaction, an extraction, an assignment, a header.
const NameKey = "\x00name"
