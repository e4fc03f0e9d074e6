// Package runner will run a scenario.Plan: virtual users, stage schedules
// for every pressure mode, controllers, variables at run time and the
// run's clock, recording into per-worker metric shards. It must not know
// protocol details. The run engine is the next piece of work (see the
// README's status); until then this package holds nothing.
package runner
