package secretscan

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// ScrapeMetrics fetches the /metrics of the controller listening on port, "" when it does not
// answer.
func ScrapeMetrics(port int) string {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
