package directory

// GroupRef names a group a user is a member of.
type GroupRef struct {
	ID          string
	DisplayName string
}

// UserGroups reads the groups userID is a member of, in id order (ReadTx.GroupRefsOfUser).
func UserGroups(tx ReadTx, userID string) ([]GroupRef, error) { return tx.GroupRefsOfUser(userID) }

// MemberUser is a user together with the groups it is a member of, read in one transaction.
type MemberUser struct {
	User   User
	Groups []GroupRef
}

// WriteOption asks a write for more of what it read or wrote, from the same transaction.
type WriteOption func(*writeOptions)

type writeOptions struct {
	groups *[]GroupRef
}

// ReadGroups makes a SCIM user write set *groups to the groups of the user it returns, read in
// its transaction, so that the answer to a SCIM request shows the user as written without a
// second transaction. The write may run its transaction more than once; *groups is set by the
// attempt that commits.
func ReadGroups(groups *[]GroupRef) WriteOption {
	return func(o *writeOptions) { o.groups = groups }
}

func applyWriteOptions(opts []WriteOption) writeOptions {
	var o writeOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// answerNone answers the options for a user known to be in no group.
func (o writeOptions) answerNone() error {
	if o.groups != nil {
		*o.groups = []GroupRef{}
	}
	return nil
}

// answer reads, in tx, what the options ask about the user a write returns.
func (o writeOptions) answer(tx ReadTx, userID string) error {
	if o.groups == nil {
		return nil
	}
	groups, err := UserGroups(tx, userID)
	*o.groups = groups
	return err
}
