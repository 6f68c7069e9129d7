package ossim

import (
	"encoding/json"
	"net/http"
)

// routes wires the services and the admin endpoint (which is not counted and needs no token).
func (s *Sim) routes(mux *http.ServeMux) {
	s.keystoneRoutes(mux)
	s.novaRoutes(mux)
	s.neutronRoutes(mux)
	s.glanceRoutes(mux)
	s.cinderRoutes(mux)

	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"id": s.InjectFault(f)})
	})
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
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
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
