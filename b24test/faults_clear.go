package b24test

// ClearFaults drops the faults scripted with FailNext and not yet served
// (the portal is fixed: a test then reads the rest of a list normally).
// Random faults (WithFaults) go on.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.script = nil
	s.faults.mu.Unlock()
}
