package framework

import (
	"strings"

	ossim "github.com/pco-mcm/mcm-provider-pco/internal/sim/ossim"
	"github.com/pco-mcm/mcm-provider-pco/test/secretscan"
)

// CollectSimUserData adds to s the bootstrap tokens of the userData the simulator's servers got
// (kubernetes/examples' userData says "with token <token>"). Simulator only: a real Nova does
// not show user data to a project.
func CollectSimUserData(s *secretscan.Secrets, sim *ossim.Sim) {
	for _, srv := range sim.Servers() {
		if i := strings.Index(srv.UserData, "with token "); i >= 0 {
			tok := strings.Fields(srv.UserData[i+len("with token "):])
			if len(tok) > 0 {
				tok[0] = strings.Trim(tok[0], `"'`)
				if parts := strings.SplitN(tok[0], ".", 2); len(parts) == 2 {
					s.Add("bootstrap token "+parts[0], tok[0])
					s.AddPart("bootstrap token "+parts[0], "secret part", parts[1])
				}
			}
		}
	}
}
