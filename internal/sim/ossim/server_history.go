package ossim

import (
	"slices"
	"time"
)

// ServerRecord is one server the simulator ever made, with the time it stopped being live: for
// counting duplicates over a whole run, since a duplicate that orphan collection removed later
// is gone from the state but was still made.
type ServerRecord struct {
	ID, Name, ProjectID string
	// Created is when the create was accepted (the server exists from then on, whether or not
	// the client saw the answer).
	Created time.Time
	// Ended is when a delete took effect (not a lost one, see FaultServerDeleteLingers) or the
	// server disappeared otherwise; zero while it is live.
	Ended time.Time
	// What Nova did to it: the fault message of a failed build, whether it was stuck in BUILD,
	// and how many of its deletes were lost (FaultServerDeleteLingers).
	Fault       string
	Stuck       bool
	LostDeletes int
}

// ServerHistory returns every server made since Start, oldest first.
func (s *Sim) ServerHistory() []ServerRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick()
	out := slices.Clone(s.st.gone)
	for _, srv := range bySeq(s.st.servers, func(v *server) int { return v.seq }) {
		out = append(out, srv.record())
	}
	slices.SortFunc(out, func(a, b ServerRecord) int { return a.Created.Compare(b.Created) })
	return out
}

// record is the history entry of a server as it stands.
func (srv *server) record() ServerRecord {
	r := ServerRecord{ID: srv.id, Name: srv.name, ProjectID: srv.projectID, Created: srv.created, Ended: srv.deletedAt,
		Stuck: srv.stuck, LostDeletes: srv.lostDeletes}
	if srv.fault != nil {
		r.Fault = srv.fault.message
	}
	return r
}

// forget removes a server from the state and keeps its record.
func (s *Sim) forget(srv *server, at time.Time) {
	r := srv.record()
	if r.Ended.IsZero() {
		r.Ended = at
	}
	s.st.gone = append(s.st.gone, r)
	delete(s.st.servers, srv.id)
}
