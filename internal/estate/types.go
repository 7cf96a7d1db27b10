package estate

import "slices"

// RelevantTypes returns every lower-case resource type some rule reads (the
// types Relevant accepts), sorted. Live collection asks Azure for these and
// nothing else.
func RelevantTypes() []string {
	out := make([]string, 0, len(graphTypes)+len(services))
	for t := range graphTypes {
		out = append(out, t)
	}
	for _, s := range services {
		if !graphTypes[s.Type] {
			out = append(out, s.Type)
		}
	}
	slices.Sort(out)
	return out
}

// serviceMembers are the members of "properties" the rows of the service
// table read (services.go), on any CMK-capable type. A test parses
// services.go to keep the list complete; it cannot tell a path read from the
// properties from one read from an object inside them (an encryption
// protector's, a list element's), so a few of these are of that kind, which
// costs nothing.
var serviceMembers = map[string]bool{
	"activekey": true, "dataencryption": true, "defaultidentity": true, "diskencryptionsetid": true, "encryption": true,
	"encryptionconfig": true, "encryptionstate": true, "encryptiontype": true, "encryptionwithcmk": true, "identity": true,
	"keyid": true, "keyvaultkeyuri": true, "keyvaultproperties": true, "manageddiskidentity": true, "parameters": true,
	"primaryuserassignedidentityid": true, "securityprofile": true, "securitysettings": true, "storageaccountidentity": true,
	"keyname": true, "keyvaulturi": true, "keyversion": true, "serverkeyname": true, "serverkeytype": true, "uri": true,
}

// readMembers are, for the graph types whose properties are large or many,
// the members of "properties" anything reads: web apps (app-managed-identity)
// and role assignments (Build).
var readMembers = map[string]map[string]bool{
	"microsoft.web/sites":       {"keyvaultreferenceidentity": true},
	"microsoft.web/sites/slots": {"keyvaultreferenceidentity": true},
	"microsoft.authorization/roleassignments": {"scope": true, "principalid": true, "principaltype": true,
		"roledefinitionid": true},
}

// PropertyMembers says which members of "properties" are read for resources
// of the lower-case type typ: all of them (all is true), or only those in
// members. Readers may pass over the others undecoded; a CMK-capable
// workload's properties are mostly configuration no rule looks at. Types
// whose properties rules read directly (vaults, keys, alert rules and the
// like) keep all.
func PropertyMembers(typ string) (members map[string]bool, all bool) {
	if m := readMembers[typ]; m != nil {
		return m, false
	}
	if serviceByType[typ] != nil {
		return serviceMembers, false
	}
	return nil, true
}
