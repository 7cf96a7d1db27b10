package azure_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/cmkguard/cmkguard/internal/azure"
	"github.com/cmkguard/cmkguard/internal/azure/azuretest"
)

// TestARMReadsStayInsideTheBucket makes more ARM reads in one subscription
// than ARM's bucket holds (250, refilled at 25 a second): the collector must
// pace them rather than draw 429s.
func TestARMReadsStayInsideTheBucket(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1, VaultsPerSub: 60, KeysPerVault: 3, Resources: 100})
	start := f.clock.Now()
	s := collect(t, f.options(azure.Scope{Tenant: true}))
	checkComplete(t, f, s, nil)
	st := f.srv.Stats()
	if st.ARMRequests <= 300 {
		t.Fatalf("only %d ARM requests; the test needs more than the bucket", st.ARMRequests)
	}
	if st.ARMThrottled != 0 {
		t.Errorf("the fake throttled %d ARM reads", st.ARMThrottled)
	}
	if el := f.clock.Now().Sub(start).Seconds(); el < float64(st.ARMRequests-250)/25 {
		t.Errorf("%d ARM reads in %.1fs of virtual time: faster than the bucket refills", st.ARMRequests, el)
	}
}

func TestProgressOnlyWhenAsked(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1, Resources: 50})
	var out bytes.Buffer
	opts := f.options(azure.Scope{Tenant: true})
	opts.Progress = &out
	collect(t, opts)
	if !strings.Contains(out.String(), "pages") || !strings.Contains(out.String(), "vaults 2/2") {
		t.Errorf("progress %q: want pages and vaults", out.String())
	}
}

func TestCloudConfig(t *testing.T) {
	for name, want := range map[string][2]string{
		"":                  {"https://management.azure.com", "https://login.microsoftonline.com/"},
		"azurecloud":        {"https://management.azure.com", "https://login.microsoftonline.com/"},
		"AzureUSGovernment": {"https://management.usgovcloudapi.net", "https://login.microsoftonline.us/"},
		"AzureChinaCloud":   {"https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn/"},
	} {
		c, err := azure.CloudConfig(name, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Services[cloud.ResourceManager].Endpoint; got != want[0] || c.ActiveDirectoryAuthorityHost != want[1] {
			t.Errorf("%q: endpoint %s, authority %s; want %v", name, got, c.ActiveDirectoryAuthorityHost, want)
		}
	}
	c, err := azure.CloudConfig("AzureUSGovernment", "https://127.0.0.1:8443/")
	if err != nil {
		t.Fatal(err)
	}
	rm := c.Services[cloud.ResourceManager]
	if rm.Endpoint != "https://127.0.0.1:8443" || !strings.Contains(rm.Audience, "usgovcloudapi") {
		t.Errorf("override: %+v", rm)
	}
	if cloud.AzureGovernment.Services[cloud.ResourceManager].Endpoint != "https://management.usgovcloudapi.net" {
		t.Error("the override changed azcore's shared cloud configuration")
	}
	for _, bad := range []string{"http://127.0.0.1", "not a url", "/relative"} {
		if _, err := azure.CloudConfig("", bad); err == nil {
			t.Errorf("--arm-endpoint %q accepted", bad)
		}
	}
	if _, err := azure.CloudConfig("AzureGermanCloud", ""); err == nil {
		t.Error("unknown cloud accepted")
	}
}

// TestRowsAreWrittenAsReturned checks that a Resource Graph row reaches the
// snapshot as Resource Graph wrote it: an integer beyond float64's precision
// survives.
func TestRowsAreWrittenAsReturned(t *testing.T) {
	f := newFixture(t, azuretest.GenOptions{Subscriptions: 1, Resources: 20})
	for _, r := range f.est.Resources {
		if r["type"] == "microsoft.storage/storageaccounts" {
			r["properties"].(map[string]any)["largeNumber"] = json.Number("9007199254740993")
			break
		}
	}
	s := collect(t, f.options(azure.Scope{Tenant: true}))
	if !bytes.Contains(s.raw, []byte(`"largeNumber":9007199254740993`)) {
		t.Error("the large integer did not survive collection unchanged")
	}
}
