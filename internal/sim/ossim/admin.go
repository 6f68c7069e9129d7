package ossim

import (
	"encoding/json"
	"net/http"
)

// register wires the services and the admin API.
//
// The admin API is for tests and tools outside this process (cmd/pco-sim); it needs no token
// and is not counted:
//
//	POST   /_sim/faults            arm a Fault (JSON, see Fault) -> 201 {"id": "..."}
//	GET    /_sim/faults            the armed faults
//	DELETE /_sim/faults            disarm all
//	DELETE /_sim/faults/{id}       disarm one
//	GET    /_sim/counts            {"total": N, "routes": {"compute GET /servers/detail": N, ...}}
//	POST   /_sim/counts/reset      zero the counters
//	PUT    /_sim/quotas/{project}  set a project's Quota (JSON; fields left out are unlimited)
//	GET    /_sim/state             {"servers": [...], "ports": [...], "volumes": [...]}
//	GET    /_sim/seed              the Seed
func (s *Sim) register(mux *http.ServeMux) {
	s.keystoneRoutes(mux)
	s.novaRoutes(mux)
	s.neutronRoutes(mux)
	s.glanceRoutes(mux)
	s.cinderRoutes(mux)
	s.resellerRoutes(mux)

	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, err := s.injectFault(f)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		out := []map[string]any{}
		for _, f := range s.faults {
			out = append(out, map[string]any{"id": f.id, "fault": f.Fault, "used": f.used})
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"faults": out})
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /_sim/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.RemoveFault(r.PathValue("id")) {
			http.Error(w, "no such fault", http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/counts", func(w http.ResponseWriter, _ *http.Request) {
		c := s.Counts()
		writeJSON(w, http.StatusOK, map[string]any{"total": c.Total(), "routes": c})
	})
	mux.HandleFunc("POST /_sim/counts/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_sim/quotas/{project}", func(w http.ResponseWriter, r *http.Request) {
		q := Unlimited
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetQuota(r.PathValue("project"), q)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sim/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"servers": s.Servers(), "ports": s.Ports(), "volumes": s.Volumes()})
	})
	mux.HandleFunc("GET /_sim/seed", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Seed())
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
