package browsertest

import (
	"encoding/json"
	"fmt"
)

// Policy says what a page may do. Whatever it does not allow, Problems
// lists: requests the policy does not allow, console errors and failed
// assertions, error log entries (Content-Security-Policy violations land
// there), exceptions and dialogs, and what the fields below add.
type Policy struct {
	// Request reports whether the page may request url. A nil Request
	// allows no request at all.
	Request func(url string) bool
	// Warnings counts console warnings and warning log entries too.
	Warnings bool
	// FailedLoads counts requests that failed and responses with an HTTP
	// error status (400 and above) too.
	FailedLoads bool
}

// Problems lists, in the order they happened, what the page did since it was
// opened (or since the last Settle) that the policy does not allow.
func (p *Page) Problems(policy Policy) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.events {
		var ev struct {
			Request  struct{ URL string }
			Response struct {
				URL    string
				Status int
			}
			Type      string
			Args      []struct{ Value any }
			Entry     struct{ Level, Text string }
			ErrorText string
			Message   string
		}
		_ = json.Unmarshal(e.Params, &ev)
		switch e.Method {
		case "Network.requestWillBeSent":
			if policy.Request == nil || !policy.Request(ev.Request.URL) {
				out = append(out, "network request: "+ev.Request.URL)
			}
		case "Network.responseReceived":
			if policy.FailedLoads && ev.Response.Status >= 400 {
				out = append(out, fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL))
			}
		case "Network.loadingFailed":
			if policy.FailedLoads {
				out = append(out, "request failed: "+ev.ErrorText)
			}
		case "Runtime.consoleAPICalled":
			if ev.Type == "error" || ev.Type == "assert" || policy.Warnings && ev.Type == "warning" {
				out = append(out, fmt.Sprintf("console.%s: %v", ev.Type, ev.Args))
			}
		case "Log.entryAdded":
			if ev.Entry.Level == "error" || policy.Warnings && ev.Entry.Level == "warning" {
				out = append(out, "log "+ev.Entry.Level+": "+ev.Entry.Text)
			}
		case "Runtime.exceptionThrown":
			out = append(out, "exception: "+string(e.Params))
		case "Page.javascriptDialogOpening":
			out = append(out, "dialog: "+ev.Message)
		}
	}
	return out
}
