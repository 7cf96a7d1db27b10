package rules

import (
	"slices"
	"testing"

	"github.com/cmkguard/cmkguard/internal/policy"
)

func TestKeyvaultLeastPrivilege(t *testing.T) {
	pass := []string{"pass.json", "pass-assignments.json"}
	fail := []string{"fail.json", "fail-assignments.json"}
	unknown := []string{"unknown.json", "unknown-assignments.json"}
	runRuleCases(t, "keyvault-least-privilege", []ruleCase{
		// People may hold key management; workloads only use keys.
		{Name: "user with all, managed identities with get/wrap/unwrap (mixed case)", Files: pass, Resource: "vaults/kv-lp-ap-ok", Want: Pass, Message: "1 person or group does"},
		{Name: "nobody holds rights", Files: pass, Resource: "vaults/kv-lp-ap-dormant", Want: Pass, Message: "no principal"},
		{Name: "compound identity acts for a user", Files: pass, Resource: "vaults/kv-lp-ap-compound", Want: Pass},
		{Name: "Crypto Officer role is dormant on an access-policy vault", Files: pass, Resource: "vaults/kv-lp-ap-dormant", Want: Pass},
		{Name: "access policy ignored by an RBAC vault", Files: pass, Resource: "vaults/kv-lp-rbac-ignored", Want: Pass},
		{Name: "group administers, identities hold the CMK role on a key", Files: pass, Resource: "vaults/kv-lp-rbac-ok", Want: Pass},
		{Name: "Contributor cannot grant itself access on an RBAC vault", Files: pass, Resource: "vaults/kv-lp-rbac-contrib", Want: Pass},

		{Name: "managed identity with delete and purge by access policy", Files: fail, Resource: "vaults/kv-lp-ap-mi", Want: Fail, Message: "managed identity cccccccc-0000-0000-0000-000000000001"},
		{Name: "service principal with All", Files: fail, Resource: "vaults/kv-lp-ap-all", Want: Fail, Message: "service principal"},
		{Name: "a known workload fails it despite an unknown principal", Files: fail, Resource: "vaults/kv-lp-ap-mixed", Want: Fail, Message: "purge"},
		{Name: "Contributor can write access policies", Files: fail, Resource: "vaults/kv-lp-ap-contrib", Want: Fail, Message: "access policies"},
		{Name: "Crypto Officer on an RBAC vault", Files: fail, Resource: "vaults/kv-lp-rbac-officer", Want: Fail, Message: "Key Vault Crypto Officer"},
		{Name: "Key Vault Administrator on one key", Files: fail, Resource: "vaults/kv-lp-rbac-key", Want: Fail, Message: "/keys/cmk-orders"},
		{Name: "Crypto User can update and back up keys", Files: fail, Resource: "vaults/kv-lp-rbac-crypto-user", Want: Fail, Message: "update, backup"},
		{Name: "custom role from the snapshot deletes keys", Files: fail, Resource: "vaults/kv-lp-rbac-customdef", Want: Fail, Message: "CMK Key Janitor"},
		{Name: "Owner at the subscription can re-grant", Files: fail, Resource: "vaults/kv-lp-sub-owner", Want: Fail, Message: "can assign roles"},
		{Name: "managed identity among Managed HSM initial administrators", Files: fail, Resource: "managedHSMs/hsm-lp-mi-admin", Want: Fail, Message: "initialAdminObjectIds"},

		{Name: "access-policy principal of unknown kind with create/delete", Files: unknown, Resource: "vaults/kv-lp-ap-unknown", Want: Unknown, Message: "people or workloads"},
		{Name: "custom role not in the snapshot", Files: unknown, Resource: "vaults/kv-lp-rbac-custom", Want: Unknown, Message: "not in the snapshot"},
		{Name: "Owner at a management group whose subscriptions are unknown", Files: []string{"unknown-mg.json"}, Resource: "vaults/kv-lp-mg", Want: Unknown, Message: "management group"},
		{Name: "Managed HSM local RBAC is not in ARM", Files: unknown, Resource: "managedHSMs/hsm-lp-people", Want: Unknown, Message: "local RBAC"},
		{Name: "no role assignments in the snapshot", Files: []string{"unknown-no-assignments.json"}, Resource: "vaults/kv-lp-noras", Want: Unknown, Message: "carries no role assignments"},
		{Name: "RBAC vault without role assignments", Files: []string{"unknown-no-assignments.json"}, Resource: "vaults/kv-lp-noras-rbac", Want: Unknown},
		{Name: "access policies alone can fail it", Files: []string{"unknown-no-assignments.json"}, Resource: "vaults/kv-lp-noras-mi", Want: Fail},
	})
}

// TestHoldersOfOnce checks that a vault's holders are found once per
// evaluation, whichever Env asks, and are the holders privilegedHolders finds.
func TestHoldersOfOnce(t *testing.T) {
	e := loadFixture(t, "keyvault-least-privilege", "fail.json", "fail-assignments.json")
	env := newEnv(e, policy.Default(), fixtureNow)
	envs := []*Env{env, env.fork(), env.forkCountOnly()}
	for _, v := range e.Vaults {
		want := privilegedHolders(env, v)
		first := holdersOf(envs[0], v)
		if !slices.Equal(first, want) {
			t.Errorf("%s: holdersOf = %v, want %v", v.Name, first, want)
		}
		for _, other := range envs[1:] {
			if got := holdersOf(other, v); len(got) > 0 && &got[0] != &first[0] {
				t.Errorf("%s: another Env found the holders again", v.Name)
			}
		}
	}
}
