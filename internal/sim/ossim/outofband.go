package ossim

import "time"

// BreakServerOutOfBand puts a server into ERROR with a fault of code 500 and message msg, as a
// failed host or a failed operation does to a running server in a real Nova: its ports and volumes
// stay as they are.
func (s *Sim) BreakServerOutOfBand(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv := s.st.servers[id]; srv != nil {
		now := time.Now().UTC()
		srv.status, srv.updated = "ERROR", now
		srv.fault = &serverFault{code: 500, message: msg, created: now}
	}
}

// RenameVolume renames a volume, as a user renaming it behind the driver's back would.
func (s *Sim) RenameVolume(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.st.volumes[id]; v != nil {
		v.name, v.updated = name, time.Now().UTC()
	}
}
