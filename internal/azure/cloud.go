package azure

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Cloud names accepted by --cloud, as `az cloud list` spells them.
const (
	CloudPublic     = "AzureCloud"
	CloudGovernment = "AzureUSGovernment"
	CloudChina      = "AzureChinaCloud"
)

// CloudNames lists the accepted cloud names.
func CloudNames() []string { return []string{CloudPublic, CloudGovernment, CloudChina} }

// CloudConfig returns the azcore cloud configuration for a cloud name (matched
// case-insensitively; "" is the public cloud). A non-empty armEndpoint
// replaces the Resource Manager endpoint (Resource Graph is served there too)
// while the token audience stays the cloud's.
func CloudConfig(name, armEndpoint string) (cloud.Configuration, error) {
	var c cloud.Configuration
	switch {
	case name == "" || strings.EqualFold(name, CloudPublic):
		c = cloud.AzurePublic
	case strings.EqualFold(name, CloudGovernment):
		c = cloud.AzureGovernment
	case strings.EqualFold(name, CloudChina):
		c = cloud.AzureChina
	default:
		return c, fmt.Errorf("unknown cloud %q: want one of %s", name, strings.Join(CloudNames(), ", "))
	}
	// Copy the services map: the azcore values are shared package variables.
	services := make(map[cloud.ServiceName]cloud.ServiceConfiguration, len(c.Services))
	for k, v := range c.Services {
		services[k] = v
	}
	c.Services = services
	if armEndpoint != "" {
		u, err := url.Parse(armEndpoint)
		if err != nil || u.Host == "" || u.Scheme != "https" {
			// The bearer token never travels in clear text.
			return c, fmt.Errorf("--arm-endpoint %q: want an https URL such as https://management.azure.com", armEndpoint)
		}
		rm := services[cloud.ResourceManager]
		rm.Endpoint = strings.TrimRight(armEndpoint, "/")
		services[cloud.ResourceManager] = rm
	}
	return c, nil
}
