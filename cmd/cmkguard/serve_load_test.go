package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestLoad holds 200 requests a second on the dashboard's overview for 20
// seconds, over loopback only, against `cmkguard serve` on a history of the
// example estate. It is not part of the default test run:
//
//	CMKGUARD_LOADTEST=1 go test -run TestLoad -v ./cmd/cmkguard/
//
// Requests are sent on a fixed schedule (open loop), so a slow server cannot
// slow the test down to its own pace: a request that cannot start because
// loadInFlight requests are still open counts as missed. The test fails on
// any error or missed request; it prints the achieved rate and the latency
// percentiles, and writes them to artifacts/loadtest.txt.
func TestLoad(t *testing.T) {
	if os.Getenv("CMKGUARD_LOADTEST") != "1" {
		t.Skip("set CMKGUARD_LOADTEST=1 to run the load test")
	}
	const (
		rate         = 200 // requests a second
		duration     = 20 * time.Second
		loadInFlight = 200
	)
	db := filepath.Join(t.TempDir(), "history.db")
	dashboardHistory(t, db)
	s := startServe(t, "--db", db, "--now", serveNow)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadInFlight, MaxConnsPerHost: loadInFlight}}
	defer client.CloseIdleConnections()

	// One request first, so that the KPIs are computed before the clock runs.
	if code, _ := s.fetch(t, "/"); code != http.StatusOK {
		t.Fatalf("overview: %d", code)
	}

	total := int(rate * duration / time.Second)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      = map[string]int{}
		missed    int
		wg        sync.WaitGroup
		slots     = make(chan struct{}, loadInFlight)
	)
	one := func() {
		defer wg.Done()
		defer func() { <-slots }()
		start := time.Now()
		resp, err := client.Get(s.base + "/")
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
		}
		took := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[err.Error()]++
			return
		}
		latencies = append(latencies, took)
	}
	// Each request has its own start time on the schedule; a loop that falls
	// behind (a busy machine) sends at once to catch up, so the rate holds
	// over the whole run.
	interval := time.Second / rate
	begin := time.Now()
	for i := range total {
		if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		select {
		case slots <- struct{}{}:
			wg.Add(1)
			go one()
		default:
			missed++
		}
	}
	sending := time.Since(begin)
	wg.Wait()
	elapsed := time.Since(begin)

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	nErr := 0
	for _, n := range errs {
		nErr += n
	}
	summary := fmt.Sprintf("GET / (overview) at %d requests/s for %s over loopback: %d sent, %d succeeded, %d errors, %d missed; "+
		"achieved %.1f requests/s sent (%.1f/s answered, last answer after %s); latency p50 %s, p90 %s, p99 %s, max %s\n",
		rate, duration, total-missed, len(latencies), nErr, missed, float64(total-missed)/sending.Seconds(),
		float64(len(latencies))/elapsed.Seconds(), elapsed.Round(time.Millisecond),
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	t.Log(summary)
	dir := filepath.Join("..", "..", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "loadtest.txt"), []byte(summary), 0o644)
	}
	if nErr > 0 || missed > 0 || len(latencies) != total {
		t.Errorf("the overview did not hold %d requests/s: %d errors %v, %d missed", rate, nErr, errs, missed)
	}
}
