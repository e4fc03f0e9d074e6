package scenario

import (
	"os"

	"github.com/expr-lang/expr/vm"
)

func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }

func vmRun(p *Program, env map[string]any) (any, error) { return vm.Run(p.P, env) }
