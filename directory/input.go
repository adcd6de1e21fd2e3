package directory

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// This file is the input policy for the strings people and IdPs send: one set of rules,
// applied by Service before anything reaches a store, so that bbolt and PostgreSQL never
// disagree about what is valid and no storage limit is the first to say no (a 32 KB bbolt key,
// PostgreSQL's 2.7 KB index row). A string that breaks a rule is an *InvalidError naming the
// attribute; the edges answer it with 400.
//
// Identifiers (userName, externalId, uniqueUserId, emails, a group's externalId) are what
// users are found and told apart by. They must be valid UTF-8 without control characters,
// format characters (zero-width space and joiners, soft hyphen, bidirectional controls, byte
// order mark), line or paragraph separators, or U+FFFD, the mark of text that was not valid
// where it came from. Text (names, titles, addresses, a group's displayName) must be valid
// UTF-8 without control characters (an address's formatted lines may hold tab and newlines) and
// without the bidirectional embeddings, overrides and isolates that make text display other
// than it reads.
//
// Limits, in bytes of UTF-8, with why:
//   - userName 512: an email address (at most 254 in practice, RFC 5321) or a directory login
//     (Entra's userPrincipalName is at most 113 characters) fits with room to spare.
//   - externalId and uniqueUserId 1024: vendors' object ids are 20–40 bytes, but some IdPs send
//     an LDAP distinguished name, which can run to hundreds.
//   - an email value 320: RFC 3696's 64-octet local part, "@" and a 255-octet domain.
//   - the folded form of a userName or email (what the stores index) 1024: NFKC can expand a
//     character up to 18 times, and an index row must stay far below PostgreSQL's limit.
//   - text 1024, profileUrl 2048, the short codes (locale, timezone, userType,
//     preferredLanguage, the type of a multi-valued value) 256.
//   - per user at most 100 emails, 100 phone numbers, 20 addresses, 200 roles and 200
//     entitlements; per sign-in at most 1000 group names.
const (
	MaxUserNameBytes   = 512
	MaxIdentifierBytes = 1024
	MaxEmailBytes      = 320
	MaxFoldedBytes     = 1024
	MaxTextBytes       = 1024
	MaxURLBytes        = 2048
	MaxCodeBytes       = 256

	MaxEmails       = 100
	MaxPhoneNumbers = 100
	MaxAddresses    = 20
	MaxRoles        = 200
	MaxEntitlements = 200
	MaxLoginGroups  = 1000
)

// stringKind is what rules a string follows.
type stringKind int

const (
	identifier stringKind = iota
	text
	multiline
)

// checkString reports what is wrong with s as the attribute name of the kind, or nil.
func checkString(name, s string, kind stringKind, limit int) error {
	if len(s) > limit {
		return Invalidf("%s is %d bytes long; at most %d are allowed", name, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return Invalidf("%s is not valid UTF-8", name)
	}
	for _, r := range s {
		if bad := badRune(r, kind); bad != "" {
			return Invalidf("%s contains %s (U+%04X), which it may not", name, bad, r)
		}
	}
	return nil
}

// badRune names what is wrong with r in a string of the kind, or "".
func badRune(r rune, kind stringKind) string {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		if kind == multiline {
			return ""
		}
		return "a control character"
	case unicode.Is(unicode.Cc, r):
		return "a control character"
	case bidiControl(r):
		return "a bidirectional control character"
	case kind != identifier:
		return ""
	case r == utf8.RuneError:
		// The mark of text that was not valid where it came from.
		return "the replacement character"
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character"
	case unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
		return "a line or paragraph separator"
	}
	return ""
}

// bidiControl reports the explicit bidirectional embeddings, overrides and isolates.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// CheckUser reports the first attribute of u that breaks the input policy.
func CheckUser(u User) error {
	if err := checkUserName(u.UserName); err != nil {
		return err
	}
	if err := checkString("externalId", u.ExternalID, identifier, MaxIdentifierBytes); err != nil {
		return err
	}
	if err := checkString("uniqueUserId", u.UniqueUserID, identifier, MaxIdentifierBytes); err != nil {
		return err
	}
	texts := []struct{ name, value string }{
		{"displayName", u.DisplayName}, {"nickName", u.NickName}, {"title", u.Title},
		{"name.formatted", u.Name.Formatted}, {"name.familyName", u.Name.FamilyName}, {"name.givenName", u.Name.GivenName},
		{"name.middleName", u.Name.MiddleName}, {"name.honorificPrefix", u.Name.HonorificPrefix},
		{"name.honorificSuffix", u.Name.HonorificSuffix},
		{"employeeNumber", u.Enterprise.EmployeeNumber}, {"costCenter", u.Enterprise.CostCenter},
		{"organization", u.Enterprise.Organization}, {"division", u.Enterprise.Division},
		{"department", u.Enterprise.Department}, {"manager.value", u.Enterprise.ManagerID},
		{"manager.displayName", u.Enterprise.ManagerDisplay},
	}
	for _, t := range texts {
		if err := checkString(t.name, t.value, text, MaxTextBytes); err != nil {
			return err
		}
	}
	codes := []struct{ name, value string }{
		{"userType", u.UserType}, {"preferredLanguage", u.PreferredLanguage}, {"locale", u.Locale}, {"timezone", u.Timezone},
	}
	for _, c := range codes {
		if err := checkString(c.name, c.value, text, MaxCodeBytes); err != nil {
			return err
		}
	}
	if err := checkString("profileUrl", u.ProfileURL, text, MaxURLBytes); err != nil {
		return err
	}
	multi := []struct {
		name   string
		values []MultiValue
		max    int
		value  func(name, v string) error
	}{
		{"emails", u.Emails, MaxEmails, checkEmail},
		{"phoneNumbers", u.PhoneNumbers, MaxPhoneNumbers, textValue},
		{"roles", u.Roles, MaxRoles, textValue},
		{"entitlements", u.Entitlements, MaxEntitlements, textValue},
	}
	for _, m := range multi {
		if len(m.values) > m.max {
			return Invalidf("%s has %d values; at most %d are allowed", m.name, len(m.values), m.max)
		}
		for i, v := range m.values {
			at := fmt.Sprintf("%s[%d]", m.name, i)
			if err := m.value(at+".value", v.Value); err != nil {
				return err
			}
			if err := checkString(at+".type", v.Type, text, MaxCodeBytes); err != nil {
				return err
			}
			if err := checkString(at+".display", v.Display, text, MaxTextBytes); err != nil {
				return err
			}
		}
	}
	if len(u.Addresses) > MaxAddresses {
		return Invalidf("addresses has %d values; at most %d are allowed", len(u.Addresses), MaxAddresses)
	}
	for i, a := range u.Addresses {
		at := fmt.Sprintf("addresses[%d]", i)
		if err := checkString(at+".formatted", a.Formatted, multiline, MaxTextBytes); err != nil {
			return err
		}
		for _, f := range []struct{ name, value string }{{"streetAddress", a.StreetAddress}, {"locality", a.Locality},
			{"region", a.Region}, {"postalCode", a.PostalCode}, {"country", a.Country}, {"type", a.Type}} {
			kind := text
			if f.name == "streetAddress" {
				kind = multiline
			}
			if err := checkString(at+"."+f.name, f.value, kind, MaxTextBytes); err != nil {
				return err
			}
		}
	}
	return nil
}

func textValue(name, v string) error { return checkString(name, v, text, MaxTextBytes) }

// CheckEmail reports what the input policy refuses in an email address given alone, as
// home-realm discovery takes one.
func CheckEmail(v string) error { return checkEmail("email", v) }

// checkEmail applies the identifier rules to an email address, and bounds its folded form.
func checkEmail(name, v string) error {
	if err := checkString(name, v, identifier, MaxEmailBytes); err != nil {
		return err
	}
	if n := len(FoldEmail(v)); n > MaxFoldedBytes {
		return Invalidf("%s is %d bytes long once normalised; at most %d are allowed", name, n, MaxFoldedBytes)
	}
	return nil
}

// checkUserName applies the identifier rules to a userName, bounds its folded form, and
// refuses one that mixes scripts within a word (see mixedScript).
func checkUserName(s string) error {
	if err := checkString("userName", s, identifier, MaxUserNameBytes); err != nil {
		return err
	}
	folded := FoldUserName(s)
	if n := len(folded); n > MaxFoldedBytes {
		return Invalidf("userName is %d bytes long once normalised; at most %d are allowed", n, MaxFoldedBytes)
	}
	// The folded form is checked too: folding can turn a combining mark into a letter of
	// another script (U+0345 becomes a Greek iota).
	for _, form := range []string{s, folded} {
		if word, scripts, mixed := mixedScript(form); mixed {
			return Invalidf("userName mixes the scripts %s in %q; letters that look alike across scripts would let two people's names pass for one",
				strings.Join(scripts, " and "), word)
		}
	}
	return nil
}

// CheckGroup reports the first attribute of g that breaks the input policy. Members are ids,
// which the store checks against its users.
func CheckGroup(g Group) error {
	if err := checkString("displayName", g.DisplayName, text, MaxTextBytes); err != nil {
		return err
	}
	return checkString("externalId", g.ExternalID, identifier, MaxIdentifierBytes)
}

// CheckLogin reports the first attribute of a sign-in that breaks the input policy, as the IdP
// asserted it; the attribute is named as the login carries it.
func CheckLogin(in Login) error {
	if err := checkString("uniqueUserId", in.UniqueUserID, identifier, MaxIdentifierBytes); err != nil {
		return err
	}
	if in.UserName != "" {
		if err := checkUserName(in.UserName); err != nil {
			return err
		}
	} else if err := checkUserName(in.DesiredUserName()); err != nil {
		return err
	}
	if in.Email != "" {
		if err := checkEmail("email", in.Email); err != nil {
			return err
		}
	}
	for _, t := range []struct{ name, value string }{{"firstName", in.FirstName}, {"lastName", in.LastName}} {
		if err := checkString(t.name, t.value, text, MaxTextBytes); err != nil {
			return err
		}
	}
	if len(in.Groups) > MaxLoginGroups {
		return Invalidf("groups has %d values; at most %d are allowed", len(in.Groups), MaxLoginGroups)
	}
	for i, g := range in.Groups {
		if err := checkString(fmt.Sprintf("groups[%d]", i), g, text, MaxTextBytes); err != nil {
			return err
		}
	}
	return nil
}

// RefusedAttribute is the attribute an input-policy refusal names — the first word of its
// message, as every refusal of this file begins — or "" for another error. Events that must
// not carry what was asserted name the attribute alone.
func RefusedAttribute(err error) string {
	var inv *InvalidError
	if !errors.As(err, &inv) {
		return ""
	}
	attr, _, _ := strings.Cut(inv.Msg, " ")
	return attr
}

// --- folding ---------------------------------------------------------------------------------

// foldIdentifier is the form under which userNames are unique and emails compared: Unicode
// compatibility normalisation (NFKC), full case folding, and a dotless or dotted i read as i.
// So look-alikes that differ only in encoding or case are one: NFC and NFD spellings,
// fullwidth forms, ligatures ("ﬁ" and "fi"), "straße" and "STRASSE", "admın" and "admin".
// Characters that are invisible (zero-width space, soft hyphen) never get this far: the input
// policy refuses them in identifiers. Letters of different scripts that only look alike
// (Latin "a" and Cyrillic "а") are not equivalent under any Unicode normalisation; a userName
// that mixes them within a word is refused (mixedScript), and a word written wholly in
// another script stays a different name, as it is one.
//
// Nearly every identifier is ASCII, and every index write folds one inside the store's write
// transaction, so ASCII takes a shortcut: NFKC leaves ASCII as it is and full case folding
// lowers its capitals, so lowering and trimming is the whole fold (TestFoldASCIIShortcut
// compares the two on every ASCII character and on random strings).
func foldIdentifier(s string) string {
	if isASCII(s) {
		return strings.TrimSpace(lowerASCII(s))
	}
	return foldUnicode(s)
}

// dotlessReplacer reads a dotless or dotted i (and a dotted j) as i (j).
var dotlessReplacer = strings.NewReplacer("ı", "i", "i\u0307", "i", "j\u0307", "j")

// foldUnicode is foldIdentifier without the ASCII shortcut.
func foldUnicode(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(cherokeeFold, cases.Fold().String(s))
	s = dotlessReplacer.Replace(s)
	// Trimmed last, since normalising can make a leading space (˜ is a space and a tilde).
	return strings.TrimSpace(norm.NFKC.String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// lowerASCII lowers the capitals of an ASCII string, without a copy when it has none.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// cherokeeFold maps Cherokee letters to the capitals Unicode case folding gives them
// (CaseFolding.txt folds the small letters to the capitals, unlike any other script).
// golang.org/x/text's folding maps capitals to small letters and small letters to capitals,
// so without this a folded name would not fold to itself.
func cherokeeFold(r rune) rune {
	switch {
	case r >= 0xAB70 && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case r >= 0x13F8 && r <= 0x13FD:
		return r - 8
	}
	return r
}

// FoldUserName is the form under which userNames are unique (R8); see foldIdentifier.
func FoldUserName(s string) string { return foldIdentifier(s) }

// FoldEmail is the form under which emails are indexed and compared; see foldIdentifier.
func FoldEmail(s string) string { return foldIdentifier(s) }

// --- scripts ---------------------------------------------------------------------------------

// commonScripts are tried first when finding a letter's script; the rest of unicode.Scripts
// after them.
var commonScripts = []string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Arabic",
	"Hebrew", "Armenian", "Georgian", "Thai", "Devanagari", "Bopomofo"}

// scriptOf is the Unicode script of r; "" for Common and Inherited characters (digits,
// punctuation, combining marks), which belong to every script.
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if unicode.IsLetter(r) {
			return "Latin"
		}
		return ""
	}
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for _, name := range commonScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// allowedMixes are the sets of scripts that one word may mix: the ones a language writes
// together (UTS #39's "highly restrictive" level). Any single script is allowed too.
var allowedMixes = []map[string]bool{
	{"Latin": true, "Han": true, "Hiragana": true, "Katakana": true}, // Japanese
	{"Latin": true, "Han": true, "Bopomofo": true},                   // Chinese
	{"Latin": true, "Han": true, "Hangul": true},                     // Korean
}

// mixedScript finds a word of s (a run between characters that are neither letters, marks nor
// digits, so "иван@example.com" is three words) whose letters come from scripts no language
// writes together, such as Latin and Cyrillic: the shape of a look-alike made to pass for
// another name.
func mixedScript(s string) (word string, scripts []string, mixed bool) {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r)
	}) {
		seen := map[string]bool{}
		var order []string
		for _, r := range w {
			if sc := scriptOf(r); sc != "" && !seen[sc] {
				seen[sc] = true
				order = append(order, sc)
			}
		}
		if len(order) < 2 {
			continue
		}
		ok := false
		for _, mix := range allowedMixes {
			all := true
			for _, sc := range order {
				all = all && mix[sc]
			}
			ok = ok || all
		}
		if !ok {
			return w, order, true
		}
	}
	return "", nil, false
}
