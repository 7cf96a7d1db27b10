package rules

// Result is one rule's verdict on one resource, as reports and the history store see it.
type Result struct {
	Rule         string         `json:"rule"`
	Resource     string         `json:"resource"`
	ResourceType string         `json:"resourceType"`
	Status       Status         `json:"status"`
	Severity     Severity       `json:"severity"`
	Message      string         `json:"message"`
	Evidence     map[string]any `json:"evidence,omitempty"`
	Remediation  string         `json:"remediation,omitempty"`
	Frameworks   []string       `json:"frameworks,omitempty"`
	// WaiverReason and WaiverExpires explain a waived result.
	WaiverReason  string `json:"waiverReason,omitempty"`
	WaiverExpires string `json:"waiverExpires,omitempty"`
}
