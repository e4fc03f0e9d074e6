package runner

import "github.com/perfcase/perfcase/scenario"

// controllers holds the case-wide state of rendezvous, weighted and
// throughput controllers. Check refuses plans that use them until they
// run; these hooks keep the engine's shape.
type controllers struct{}

func newControllers(*scenario.CasePlan) *controllers { return &controllers{} }
