package directory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	. "github.com/rosterhq/roster/directory"
)

// TestLookAlikeUserNames is issue 17's W1, pair by pair: each pair of userNames that a person
// reads as one either folds to one key (so the second is a 409 uniqueness, one user) or is
// refused by the input policy. On the old code (lower case only) every pair was two users.
func TestLookAlikeUserNames(t *testing.T) {
	const collide, refuse, distinct = "collide", "refuse", "distinct"
	cases := []struct {
		name   string
		a, b   string
		want   string
		reason string
	}{
		{"NFC and NFD", "jos\u00e9@example.com", "jose\u0301@example.com", collide, "NFKC composes the accent"},
		{"fullwidth letters", "\uff41\uff44\uff4d\uff49\uff4e", "admin", collide, "NFKC maps fullwidth forms"},
		{"fullwidth at sign", "ann\uff20example.com", "ann@example.com", collide, "NFKC maps fullwidth forms"},
		{"sharp s", "stra\u00dfe", "strasse", collide, "full case folding maps ß to ss"},
		{"capital sharp s", "STRA\u1e9eE", "strasse", collide, "full case folding maps ẞ to ss"},
		{"dotless i", "adm\u0131n", "admin", collide, "ı is read as i"},
		{"dotted capital I", "\u0130stanbul", "istanbul", collide, "İ folds to i with a dot above, read as i"},
		{"Kelvin sign", "\u212aate", "kate", collide, "NFKC maps the Kelvin sign to K"},
		{"ligature fi", "\ufb01nance", "finance", collide, "NFKC splits the ligature"},
		{"ligature ffl", "wa\ufb04e", "waffle", collide, "NFKC splits the ligature"},
		{"superscript digit", "user\u00b2", "user2", collide, "NFKC maps superscripts"},
		{"case", "Ann.Smith@Example.COM", "ann.smith@example.com", collide, "case folding"},
		{"no-break space", "ann\u00a0smith", "ann smith", collide, "NFKC maps the no-break space"},
		{"zero-width space", "ad\u200bmin", "admin", refuse, "an invisible format character in an identifier"},
		{"zero-width joiner", "ad\u200dmin", "admin", refuse, "an invisible format character in an identifier"},
		{"soft hyphen", "ad\u00admin", "admin", refuse, "an invisible format character in an identifier"},
		{"byte order mark", "\ufeffadmin", "admin", refuse, "an invisible format character in an identifier"},
		{"right-to-left override", "admin\u202egpj.exe", "admin", refuse, "a bidirectional control"},
		{"Cyrillic a among Latin letters", "\u0430dmin", "admin", refuse, "Latin and Cyrillic in one word"},
		{"Greek omicron among Latin letters", "r\u03bfot", "root", refuse, "Latin and Greek in one word"},
		{"Cyrillic local part, Latin domain", "\u0438\u0432\u0430\u043d@example.com", "ivan@example.com", distinct,
			"each word is of one script; a name written in another script is another name"},
		{"wholly Cyrillic look-alike", "\u0441\u043e\u0441\u043e", "coco", distinct,
			"no Unicode normalisation maps one script onto another; detecting whole-script look-alikes needs the confusables table"},
		{"Japanese mixes its scripts", "\u5c71\u7530\u305f\u308d\u3046", "\u5c71\u7530\u30bf\u30ed\u30a6", distinct,
			"Han with Hiragana, and Han with Katakana, are how Japanese is written"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errA := CheckUser(User{UserName: c.a})
			errB := CheckUser(User{UserName: c.b})
			if errB != nil {
				t.Fatalf("the plain spelling %q is refused: %v", c.b, errB)
			}
			fa, fb := FoldUserName(c.a), FoldUserName(c.b)
			switch c.want {
			case collide:
				if errA != nil || fa != fb {
					t.Errorf("%q and %q: check %v, folded %q and %q; want both accepted and one key (%s)", c.a, c.b, errA, fa, fb, c.reason)
				}
			case refuse:
				if !errors.Is(errA, ErrInvalid) || !strings.Contains(errA.Error(), "userName") {
					t.Errorf("%q: %v, want it refused naming userName (%s)", c.a, errA, c.reason)
				}
			case distinct:
				if errA != nil || fa == fb {
					t.Errorf("%q and %q: check %v, folded %q and %q; want both accepted as two names (%s)", c.a, c.b, errA, fa, fb, c.reason)
				}
			}
			if fa == fb && FoldEmail(c.a) != FoldEmail(c.b) {
				t.Errorf("emails fold otherwise than userNames")
			}
		})
	}
}

// TestInputPolicy (issue 17, V6, W2, W3): each rule refuses with an invalid error that names the
// attribute, for users, groups and sign-ins alike; values at the limits pass.
func TestInputPolicy(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	emails := func(n int) []MultiValue {
		out := make([]MultiValue, n)
		for i := range out {
			out[i] = MultiValue{Value: "e" + strings.Repeat("x", i%50) + "@example.com"}
		}
		return out
	}
	ok := User{UserName: "ann@example.com"}
	with := func(f func(u *User)) User { u := ok; f(&u); return u }
	users := []struct {
		name string
		u    User
		attr string // "" means accepted
	}{
		{"plain", ok, ""},
		{"userName at the limit", with(func(u *User) { u.UserName = long(MaxUserNameBytes) }), ""},
		{"userName over the limit", with(func(u *User) { u.UserName = long(MaxUserNameBytes + 1) }), "userName"},
		{"userName of 33 KB", with(func(u *User) { u.UserName = long(33 << 10) }), "userName"},
		{"userName expanding past the folded limit", with(func(u *User) { u.UserName = strings.Repeat("\ufdfa", 150) }), "userName"},
		{"NUL in userName", with(func(u *User) { u.UserName = "ann\x00@example.com" }), "userName"},
		{"invalid UTF-8 in userName", with(func(u *User) { u.UserName = "ann\xff" }), "userName"},
		{"replacement character in userName", with(func(u *User) { u.UserName = "ann\ufffd" }), "userName"},
		{"newline in userName", with(func(u *User) { u.UserName = "ann\nsmith" }), "userName"},
		{"line separator in userName", with(func(u *User) { u.UserName = "ann\u2028smith" }), "userName"},
		{"NUL in an email", with(func(u *User) { u.Emails = []MultiValue{{Value: "victim@x.test\x00"}} }), "emails[0].value"},
		{"email over the limit", with(func(u *User) { u.Emails = []MultiValue{{Value: long(MaxEmailBytes) + "@x"}} }), "emails[0].value"},
		{"100 emails", with(func(u *User) { u.Emails = emails(MaxEmails) }), ""},
		{"101 emails", with(func(u *User) { u.Emails = emails(MaxEmails + 1) }), "emails"},
		{"10,000 emails", with(func(u *User) { u.Emails = emails(10000) }), "emails"},
		{"externalId of 1024 bytes", with(func(u *User) { u.ExternalID = long(MaxIdentifierBytes) }), ""},
		{"externalId over the limit", with(func(u *User) { u.ExternalID = long(MaxIdentifierBytes + 1) }), "externalId"},
		{"zero-width space in externalId", with(func(u *User) { u.ExternalID = "00u\u200b1" }), "externalId"},
		{"displayName of 1 MiB", with(func(u *User) { u.DisplayName = long(1 << 20) }), "displayName"},
		{"right-to-left override in displayName", with(func(u *User) { u.DisplayName = "Ann \u202eevil" }), "displayName"},
		{"isolate in a family name", with(func(u *User) { u.Name.FamilyName = "\u2067x" }), "name.familyName"},
		{"zero-width joiner in displayName, as Persian writes", with(func(u *User) { u.DisplayName = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645" }), ""},
		{"Arabic displayName", with(func(u *User) { u.DisplayName = "\u0633\u0644\u0627\u0645" }), ""},
		{"tab in a title", with(func(u *User) { u.Title = "a\tb" }), "title"},
		{"newlines in a formatted address", with(func(u *User) { u.Addresses = []Address{{Formatted: "1 Main St\nTown"}} }), ""},
		{"NUL in a formatted address", with(func(u *User) { u.Addresses = []Address{{Formatted: "1 Main St\x00"}} }), "addresses[0].formatted"},
		{"21 addresses", with(func(u *User) { u.Addresses = make([]Address, MaxAddresses+1) }), "addresses"},
		{"a phone type too long", with(func(u *User) { u.PhoneNumbers = []MultiValue{{Value: "1", Type: long(MaxCodeBytes + 1)}} }), "phoneNumbers[0].type"},
		{"201 roles", with(func(u *User) { u.Roles = make([]MultiValue, MaxRoles+1) }), "roles"},
		{"locale too long", with(func(u *User) { u.Locale = long(MaxCodeBytes + 1) }), "locale"},
		{"profileUrl too long", with(func(u *User) { u.ProfileURL = long(MaxURLBytes + 1) }), "profileUrl"},
		{"manager with a control character", with(func(u *User) { u.Enterprise.ManagerDisplay = "\x07" }), "manager.displayName"},
	}
	for _, c := range users {
		t.Run("user/"+c.name, func(t *testing.T) {
			wantRefused(t, CheckUser(c.u), c.attr)
		})
	}
	groups := []struct {
		name string
		g    Group
		attr string
	}{
		{"plain", Group{DisplayName: "Engineering"}, ""},
		{"displayName of 1 MiB", Group{DisplayName: long(1 << 20)}, "displayName"},
		{"NUL in displayName", Group{DisplayName: "a\x00"}, "displayName"},
		{"bidi override in externalId", Group{DisplayName: "x", ExternalID: "\u202e"}, "externalId"},
	}
	for _, c := range groups {
		t.Run("group/"+c.name, func(t *testing.T) { wantRefused(t, CheckGroup(c.g), c.attr) })
	}
	logins := []struct {
		name string
		in   Login
		attr string
	}{
		{"plain", Login{IdP: "okta", UniqueUserID: "00u1", Email: "ann@example.com", FirstName: "Ann"}, ""},
		{"NUL in the key", Login{IdP: "okta", UniqueUserID: "00u1\x00"}, "uniqueUserId"},
		{"look-alike email as userName", Login{IdP: "okta", UniqueUserID: "00u1", Email: "\u0430dmin@example.com"}, "userName"},
		{"bidi override in a first name", Login{IdP: "okta", UniqueUserID: "00u1", FirstName: "\u202eA"}, "firstName"},
		{"1001 groups", Login{IdP: "okta", UniqueUserID: "00u1", Groups: make([]string, MaxLoginGroups+1)}, "groups"},
		{"a control character in a group", Login{IdP: "okta", UniqueUserID: "00u1", Groups: []string{"a\x1b"}}, "groups[0]"},
	}
	for _, c := range logins {
		t.Run("login/"+c.name, func(t *testing.T) { wantRefused(t, CheckLogin(c.in), c.attr) })
	}
}

// wantRefused checks that err is nil when attr is "", else an invalid error naming attr.
func wantRefused(t *testing.T, err error, attr string) {
	t.Helper()
	if attr == "" {
		if err != nil {
			t.Errorf("refused: %v", err)
		}
		return
	}
	var inv *InvalidError
	if !errors.As(err, &inv) || !strings.HasPrefix(inv.Msg, attr+" ") {
		t.Errorf("%v, want an invalid error naming %s first", err, attr)
	}
}

// FuzzInputPolicy: the policy never panics, folding is idempotent, and what the policy accepts
// as a userName or email has a folded form within the limit and free of what the policy
// refuses in identifiers, so that no store ever sees a key the policy would not let in.
func FuzzInputPolicy(f *testing.F) {
	for _, s := range []string{"ann@example.com", "stra\u00dfe", "\u0130stanbul", "\ufb01", "ad\u200bmin", "\u0430dmin",
		"\u5c71\u7530\u305f\u308d\u3046", "a\x00b", "\xff\xfe", "\ufdfa", "j\u0307", "\u1e9e", "\u0345\u0399"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fold := FoldUserName(s)
		if again := FoldUserName(fold); again != fold {
			t.Fatalf("FoldUserName is not idempotent: %q → %q → %q", s, fold, again)
		}
		if FoldEmail(s) != fold {
			t.Fatalf("emails fold otherwise than userNames")
		}
		if CheckUser(User{UserName: s}) == nil {
			if len(fold) > MaxFoldedBytes {
				t.Fatalf("accepted %q whose folded form is %d bytes", s, len(fold))
			}
			if CheckUser(User{UserName: fold}) != nil && strings.TrimSpace(fold) != "" {
				t.Fatalf("accepted %q but not its folded form %q: %v", s, fold, CheckUser(User{UserName: fold}))
			}
		}
		_ = CheckUser(User{UserName: "x", DisplayName: s, ExternalID: s, Emails: []MultiValue{{Value: s, Type: s}},
			Addresses: []Address{{Formatted: s}}})
		_ = CheckLogin(Login{UniqueUserID: s, Email: s, FirstName: s, Groups: []string{s}})
		_ = CheckGroup(Group{DisplayName: s, ExternalID: s})
	})
}

// TestFoldHolders: of the users of one organization whose userNames fold to one, the one the
// index already answers for keeps the name, else the lowest id; users of other organizations
// never collide (R13), and an index entry naming a user of another name decides nothing.
func TestFoldHolders(t *testing.T) {
	u := func(id, org, name string) FoldedName { return FoldedName{ID: id, Org: org, UserName: name} }
	cases := []struct {
		name    string
		users   []FoldedName
		indexed map[string]string // org + " " + folded userName → id
		want    []FoldCollision
	}{
		{"distinct names", []FoldedName{u("a", "", "ann"), u("b", "", "bob")}, nil, nil},
		{"the indexed user keeps the name",
			[]FoldedName{u("a", "", "Straße"), u("b", "", "STRASSE")}, map[string]string{"default strasse": "b"},
			[]FoldCollision{{Org: DefaultOrg, UserID: "a", UserName: "Straße", Holder: "b"}}},
		{"none indexed: the lowest id keeps it",
			[]FoldedName{u("b", "acme", "\ufb01x"), u("a", "acme", "\uff26IX")}, nil,
			[]FoldCollision{{Org: "acme", UserID: "b", UserName: "\ufb01x", Holder: "a"}}},
		{"an entry naming someone else decides nothing",
			[]FoldedName{u("b", "", "Straße"), u("c", "", "strasse")}, map[string]string{"default strasse": "z"},
			[]FoldCollision{{Org: DefaultOrg, UserID: "c", UserName: "strasse", Holder: "b"}}},
		{"other organizations never collide",
			[]FoldedName{u("a", "", "strasse"), u("b", "acme", "Straße"), u("c", DefaultOrg, "STRASSE")}, nil,
			[]FoldCollision{{Org: DefaultOrg, UserID: "c", UserName: "STRASSE", Holder: "a"}}},
		{"three names, ordered by organization and id",
			[]FoldedName{u("c", "", "STRASSE"), u("a", "", "Straße"), u("b", "", "strasse"), u("z", "acme", "x"), u("y", "acme", "X")},
			map[string]string{"default strasse": "b"},
			[]FoldCollision{{Org: "acme", UserID: "z", UserName: "x", Holder: "y"},
				{Org: DefaultOrg, UserID: "a", UserName: "Straße", Holder: "b"}, {Org: DefaultOrg, UserID: "c", UserName: "STRASSE", Holder: "b"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := FoldHolders(c.users, func(org, folded string) string { return c.indexed[org+" "+folded] })
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("collisions (-want +got):\n%s", diff)
			}
		})
	}
}
