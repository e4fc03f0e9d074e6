//go:build !unix

package protocols

// alive cannot peek at a socket here; a closed connection shows as a
// failed request instead.
func (hc *hconn) alive() bool { return true }
