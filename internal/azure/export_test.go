package azure

// ForbiddenCases exposes forbiddenCases to the external tests.
var ForbiddenCases = forbiddenCases
