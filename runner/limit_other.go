//go:build !unix

package runner

// vuLimit is the most VUs a rate stage without max_vus, or a manual
// target, may grow to.
func vuLimit() int { return 10_000 }
