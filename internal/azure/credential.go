package azure

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TokenEnv is the environment variable that carries a bearer token to use
// instead of DefaultAzureCredential (pipelines that already hold one, tests).
const TokenEnv = "CMKGUARD_ARM_TOKEN"

// StaticToken is a TokenCredential that hands out one bearer token. Its
// String and LogValue never reveal the token.
type StaticToken struct{ token string }

// NewStaticToken returns a credential for a bearer token, with any "Bearer "
// prefix and surrounding space removed.
func NewStaticToken(token string) *StaticToken {
	token = strings.TrimSpace(token)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	return &StaticToken{token: token}
}

// GetToken implements azcore.TokenCredential. The expiry is unknown, so the
// token is reported valid for an hour; the pipeline asks again after that and
// gets the same token.
func (s *StaticToken) GetToken(_ context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if s.token == "" {
		return azcore.AccessToken{}, fmt.Errorf("%s is empty", TokenEnv)
	}
	return azcore.AccessToken{Token: s.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (s *StaticToken) String() string { return "StaticToken(redacted)" }

// LogValue keeps the token out of structured logs.
func (s *StaticToken) LogValue() slog.Value { return slog.StringValue("redacted") }

// NewCredential returns the credential collection uses: a StaticToken when
// token is non-empty, else DefaultAzureCredential configured for the cloud's
// Entra authority.
func NewCredential(c cloud.Configuration, token string) (azcore.TokenCredential, error) {
	if strings.TrimSpace(token) != "" {
		return NewStaticToken(token), nil
	}
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: c},
	})
	if err != nil {
		return nil, fmt.Errorf("azure credential: %w", err)
	}
	return cred, nil
}
