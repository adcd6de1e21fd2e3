package postgres

// The statements that read a group's members, for the plan test (plans_test.go).
var GroupReads = map[string]string{
	"selectGroup":    selectGroup,
	"membersOfGroup": membersOfGroup,
	"groupHead":      groupHead,
}
