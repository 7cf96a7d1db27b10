package estate

import (
	"strings"
	"testing"
)

func TestContainsLower(t *testing.T) {
	for _, s := range []string{
		"", "customerkey", "EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformKey",
		"EncryptionAtRestWithPlatformAndCustomerKeys", "CUSTOMERKE", "xCustomerKeY", "customer\u212aey", "Ä-CustomerKey",
		"customerİkey",
	} {
		want := strings.Contains(Lower(s), "customerkey")
		if got := containsLower(s, "customerkey"); got != want {
			t.Errorf("containsLower(%q) = %v, want %v", s, got, want)
		}
	}
}
