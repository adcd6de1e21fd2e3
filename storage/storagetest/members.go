package storagetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// MemberWalk puts two groups, g-a and g-b, through random writes of their member lists —
// members added at the end, inserted in the middle, taken out one by one or in runs, lists
// reordered, replaced, repeated, with a member that is not a user; one member joining or
// leaving (AddGroupMember, RemoveGroupMember) — and deletes users, and
// after each step checks what a reader sees against a plain model of the lists: the members
// in order, each once (its first place kept), the memberships of the users the step touched
// both ways (of every user now and then), and a refused write changing nothing. Stores keep
// lists in pieces and send only what a write changes; the walk goes where such code errs.
type MemberWalk struct {
	Steps, Users int
	// After, when set, is called after every step's checks with the lists as they should be.
	After func(step int, what string, want map[string][]string)
}

// Run walks s, which must be empty, and returns the lists as they should be at the end.
func (w MemberWalk) Run(t *testing.T, s directory.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	users := make([]string, w.Users)
	alive := map[string]bool{}
	groups := []string{"g-a", "g-b"}
	mustUpdate(t, s, func(tx directory.Tx) error {
		for i := range users {
			users[i] = fmt.Sprintf("u-%05d", i)
			alive[users[i]] = true
			if err := tx.PutUser(directory.User{ID: users[i], UserName: users[i], IdP: "okta"}); err != nil {
				return err
			}
		}
		for _, gid := range groups {
			if err := tx.PutGroup(directory.Group{ID: gid, DisplayName: gid, IdP: "okta"}); err != nil {
				return err
			}
		}
		return nil
	})
	model := map[string][]string{"g-a": {}, "g-b": {}}
	version := map[string]int64{} // as the last AddGroupMember set it; PutGroup keeps what it read
	if err := update(t, s, func(tx directory.Tx) error { return tx.AddGroupMember("g-none", users[0], directory.Meta{}) }); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("AddGroupMember to a group that does not exist: %v, want ErrNotFound", err)
	}
	if err := update(t, s, func(tx directory.Tx) error { return tx.RemoveGroupMember("g-none", users[0], directory.Meta{}) }); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("RemoveGroupMember from a group that does not exist: %v, want ErrNotFound", err)
	}
	r := rand.New(rand.NewPCG(7, 11))
	var dead []string
	// pick draws n users, with repeats, none deleted.
	pick := func(n int) []string {
		out := make([]string, 0, n)
		for len(out) < n {
			if u := users[r.IntN(len(users))]; alive[u] {
				out = append(out, u)
			}
		}
		return out
	}
	check := func(step int, what string, touched []string) {
		t.Helper()
		if step%50 == 0 {
			touched = users
		} else if len(touched) > 100 {
			// A sample: each query is a round trip on a server.
			touched = slices.Clone(touched)
			r.Shuffle(len(touched), func(i, j int) { touched[i], touched[j] = touched[j], touched[i] })
			touched = touched[:100]
		}
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			for gid, want := range model {
				g, err := tx.Group(gid)
				if err != nil {
					return err
				}
				if !slices.Equal(g.Members, want) {
					t.Fatalf("step %d (%s): %s has %d members %v…, want %d %v…", step, what, gid, len(g.Members), g.Members[:min(5, len(g.Members))], len(want), want[:min(5, len(want))])
				}
				head, n, err := tx.GroupHead(gid, 600)
				if err != nil {
					return err
				}
				if n != min(len(want), 601) || head.Members != nil || head.DisplayName != gid || head.Meta.Version != version[gid] {
					t.Fatalf("step %d (%s): %s's head counts %d members (want %d), version %d (want %d), members %v",
						step, what, gid, n, min(len(want), 601), head.Meta.Version, version[gid], head.Members != nil)
				}
			}
			for _, u := range touched {
				if !alive[u] {
					continue
				}
				of, err := tx.GroupsOfUser(u)
				if err != nil {
					return err
				}
				want := []string{}
				for _, gid := range groups {
					if slices.Contains(model[gid], u) {
						want = append(want, gid)
					}
				}
				if !slices.Equal(of, want) {
					t.Fatalf("step %d (%s): groups of %s are %v, want %v", step, what, u, of, want)
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
		if w.After != nil {
			w.After(step, what, model)
		}
	}
	large := 0
	for step := range w.Steps {
		gid := groups[r.IntN(2)]
		before, cur := model[gid], slices.Clone(model[gid])
		if len(cur) > 512 {
			large++
		}
		var next []string
		var what string
		switch r.IntN(15) {
		case 0, 1:
			what, next = "add at the end", append(cur, pick(1+r.IntN(w.Users/5))...)
		case 2:
			what = "insert in the middle"
			next = slices.Insert(cur, r.IntN(len(cur)+1), pick(1+r.IntN(40))...)
		case 3, 4:
			what = "take some out"
			next = cur
			for range 1 + r.IntN(5) {
				if len(next) > 0 {
					i := r.IntN(len(next))
					next = slices.Delete(next, i, i+1)
				}
			}
		case 5:
			what = "take a run out"
			if len(cur) > 0 {
				i := r.IntN(len(cur))
				next = slices.Delete(cur, i, min(len(cur), i+r.IntN(100)))
			}
		case 6:
			what = "swap two"
			next = cur
			if len(next) > 1 {
				i, j := r.IntN(len(next)), r.IntN(len(next))
				next[i], next[j] = next[j], next[i]
			}
		case 7:
			what, next = "replace", pick(w.Users/4+r.IntN(w.Users))
		case 8:
			what = "repeat members"
			next = cur
			if len(cur) > 0 {
				for range 1 + r.IntN(3) {
					next = slices.Insert(next, r.IntN(len(next)+1), cur[r.IntN(len(cur))])
				}
			}
			next = append(next, pick(3)...)
		case 9:
			what = "delete a user"
			victim := users[r.IntN(len(users))]
			if len(cur) > 0 && r.IntN(2) == 0 {
				victim = cur[r.IntN(len(cur))]
			}
			if !alive[victim] {
				continue
			}
			mustUpdate(t, s, func(tx directory.Tx) error { return tx.DeleteUser(victim) })
			delete(alive, victim)
			dead = append(dead, victim)
			for g := range model {
				model[g] = slices.DeleteFunc(model[g], func(m string) bool { return m == victim })
			}
			check(step, what, []string{victim})
			continue
		case 11, 12:
			// One member joins, as a sign-in joins it: a user, or one who already is a member,
			// or who is no user (refused).
			what = "one joins"
			u := pick(1)[0]
			switch c := r.IntN(20); {
			case c < 3 && len(cur) > 0:
				what, u = "a member joins again", cur[r.IntN(len(cur))]
			case c == 3 && len(dead) > 0:
				what, u = "a deleted user joins", dead[r.IntN(len(dead))]
			case c == 4:
				what, u = "a stranger joins", "not-a-user"
			}
			// Now and then the group's head is read first, and the group after, as a sign-in
			// joining a group reads them.
			headFirst, headLimit := r.IntN(2) == 0, max(0, len(cur)-1+r.IntN(2))
			after := slices.Clone(cur)
			if alive[u] && !slices.Contains(after, u) {
				after = append(after, u)
			}
			err := update(t, s, func(tx directory.Tx) error {
				if headFirst {
					if _, _, err := tx.GroupHead(gid, headLimit); err != nil {
						return err
					}
				}
				if err := tx.AddGroupMember(gid, u, directory.Meta{Version: int64(step + 1)}); err != nil {
					return err
				}
				return readInWrite(t, tx, step, what, gid, after, int64(step+1))
			})
			switch {
			case !alive[u] && !errors.Is(err, directory.ErrInvalid):
				t.Fatalf("step %d (%s): %v, want ErrInvalid", step, what, err)
			case alive[u] && err != nil:
				t.Fatalf("step %d (%s): %v", step, what, err)
			case alive[u]:
				version[gid] = int64(step + 1)
				if !slices.Contains(model[gid], u) {
					model[gid] = append(model[gid], u)
				}
			}
			check(step, what, []string{u})
			continue
		case 13, 14:
			// One member leaves, as a SCIM PATCH takes one out: a member (now and then one
			// who joins again, or a user who joins and leaves, in the same transaction), or
			// one who is not a member, or no user at all.
			what = "one leaves"
			u, again, joinFirst := pick(1)[0], false, false
			switch c := r.IntN(20); {
			case c < 14 && len(cur) > 0:
				u = cur[r.IntN(len(cur))]
				if c < 3 {
					what, again = "a member leaves and joins again", true
				}
			case c == 14:
				what, joinFirst = "a user joins and leaves", true
			case c == 15 && len(dead) > 0:
				what, u = "a deleted user leaves", dead[r.IntN(len(dead))]
			case c == 16:
				what, u = "a stranger leaves", "not-a-user"
			default:
				what = "one who may be no member leaves"
			}
			headFirst, headLimit := r.IntN(2) == 0, max(0, len(cur)-1+r.IntN(2))
			after := slices.DeleteFunc(slices.Clone(cur), func(m string) bool { return m == u })
			if again {
				after = append(after, u)
			}
			mustUpdate(t, s, func(tx directory.Tx) error {
				if headFirst {
					if _, _, err := tx.GroupHead(gid, headLimit); err != nil {
						return err
					}
				}
				if joinFirst {
					if err := tx.AddGroupMember(gid, u, directory.Meta{Version: int64(step + 1)}); err != nil {
						return err
					}
				}
				if err := tx.RemoveGroupMember(gid, u, directory.Meta{Version: int64(step + 1)}); err != nil {
					return err
				}
				if again {
					if err := tx.AddGroupMember(gid, u, directory.Meta{Version: int64(step + 1)}); err != nil {
						return err
					}
				}
				return readInWrite(t, tx, step, what, gid, after, int64(step+1))
			})
			version[gid] = int64(step + 1)
			model[gid] = slices.DeleteFunc(model[gid], func(m string) bool { return m == u })
			if again {
				model[gid] = append(model[gid], u)
			}
			check(step, what, []string{u})
			continue
		case 10:
			// The list read before the member was deleted still names it: refused, and the
			// deletion with it.
			what = "delete a member, then put the list read before"
			if len(cur) == 0 {
				continue
			}
			victim, extra, readFirst := cur[r.IntN(len(cur))], pick(2), r.IntN(2) == 0
			var putErr error
			err := s.Update(ctx, func(tx directory.Tx) error {
				g, err := tx.Group(gid)
				if err != nil {
					return err
				}
				if readFirst {
					// The members were read as users before one was deleted: what the
					// read showed does not outlive the deletion.
					if _, err := tx.UsersByID(append(slices.Clone(g.Members), extra...)); err != nil {
						return err
					}
				}
				if err := tx.DeleteUser(victim); err != nil {
					return err
				}
				g.Members = append(g.Members, extra...)
				putErr = tx.PutGroup(g)
				return putErr
			})
			if !errors.Is(err, directory.ErrInvalid) || !errors.Is(putErr, directory.ErrInvalid) || !strings.Contains(putErr.Error(), strconv.Quote(victim)) {
				t.Fatalf("step %d (%s, users read first: %t): %v, PutGroup %v; want ErrInvalid from PutGroup, naming %s", step, what, readFirst, err, putErr, victim)
			}
			check(step, what, []string{victim})
			continue
		}
		// A list naming one who is not a user, or no longer, is refused whole.
		refused, stranger := false, ""
		switch c := r.IntN(20); {
		case c == 0:
			what, refused, stranger = what+" with a stranger", true, "not-a-user"
		case c == 1 && len(dead) > 0:
			what, refused, stranger = what+" with a deleted user", true, dead[r.IntN(len(dead))]
		}
		if refused {
			next = slices.Insert(next, r.IntN(len(next)+1), stranger)
		}
		// Mostly as the directory writes a group, read in the same transaction and then put;
		// now and then put without reading it, or put twice. The read is now and then
		// preceded by the group's head, counted up to a limit the group may or may not pass,
		// as a membership PATCH reads it; and the new members are now and then read as users
		// first, as the directory checks them, which a store may take as a check of its own.
		// (What fn uses is drawn before: a store may run fn more than once.)
		how, first := r.IntN(6), slices.DeleteFunc(pick(50), func(m string) bool { return !alive[m] })
		headLimit, readUsers := -1, r.IntN(2) == 0
		var putErr error
		if r.IntN(2) == 0 {
			headLimit = r.IntN(2*len(cur) + 2)
		}
		err := s.Update(ctx, func(tx directory.Tx) error {
			g := directory.Group{ID: gid, DisplayName: gid, IdP: "okta"}
			if how > 0 {
				if headLimit >= 0 {
					head, n, err := tx.GroupHead(gid, headLimit)
					if err != nil {
						return err
					}
					if n != min(len(before), headLimit+1) || head.Members != nil || head.DisplayName != gid {
						t.Fatalf("step %d (%s): in a write, %s's head up to %d counts %d (want %d), members %v",
							step, what, gid, headLimit, n, min(len(before), headLimit+1), head.Members != nil)
					}
				}
				var err error
				if g, err = tx.Group(gid); err != nil {
					return err
				}
				if !slices.Equal(g.Members, before) || g.DisplayName != gid || g.Meta.Version != version[gid] {
					t.Fatalf("step %d (%s): in a write, %s reads %d members %v…, version %d; want %d %v…, version %d", step, what, gid,
						len(g.Members), g.Members[:min(5, len(g.Members))], g.Meta.Version, len(before), before[:min(5, len(before))], version[gid])
				}
			}
			if readUsers {
				if _, err := tx.UsersByID(append(slices.Clone(first), next...)); err != nil {
					return err
				}
			}
			if how == 1 {
				g.Members = first
				if err := tx.PutGroup(g); err != nil {
					return err
				}
			}
			g.Members = next
			putErr = tx.PutGroup(g)
			return putErr
		})
		switch {
		case refused && (!errors.Is(err, directory.ErrInvalid) || !errors.Is(putErr, directory.ErrInvalid) || !strings.Contains(putErr.Error(), strconv.Quote(stranger))):
			// Refused by PutGroup itself, naming the member, not later by the commit.
			t.Fatalf("step %d (%s): a list with a member that is not a user: %v, PutGroup %v; want ErrInvalid from PutGroup, naming %s", step, what, err, putErr, stranger)
		case !refused && err != nil:
			t.Fatalf("step %d (%s): %v", step, what, err)
		case !refused:
			model[gid] = firstOfEach(next)
			if how == 0 {
				version[gid] = 0 // put as it was not read, with no meta
			}
		}
		check(step, what, append(slices.Clone(before), next...))
	}
	// The walk must have had long lists to change in their middle.
	if large < w.Steps/4 {
		t.Fatalf("only %d of the %d writes were to a group of more than 512 members", large, w.Steps)
	}
	return model
}

// readInWrite checks group gid as a write transaction reads it after changing it: its
// members and its version.
func readInWrite(t *testing.T, tx directory.Tx, step int, what, gid string, members []string, version int64) error {
	t.Helper()
	g, err := tx.Group(gid)
	if err != nil {
		return err
	}
	if !slices.Equal(g.Members, members) || g.Meta.Version != version || g.DisplayName != gid {
		t.Fatalf("step %d (%s): in the write, %s reads %d members %v…, version %d; want %d %v…, version %d", step, what, gid,
			len(g.Members), g.Members[:min(5, len(g.Members))], g.Meta.Version, len(members), members[:min(5, len(members))], version)
	}
	return nil
}

func firstOfEach(list []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, m := range list {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

func memberWalk(t *testing.T, s directory.Store) {
	MemberWalk{Steps: 150, Users: 2000}.Run(t, s)
}

// raceJoins: 40 goroutines, released together, each add a member of their own to one group —
// as sign-ins of new people asserting the group of everyone — and one of them joins twice.
// Every one is a member once, after the members the group had, and the group's meta is one
// of theirs: the store serialises joins, or runs a loser again on fresh data.
func raceJoins(t *testing.T, s directory.Store) {
	const n = 40
	mustUpdate(t, s, func(tx directory.Tx) error {
		g := directory.Group{ID: "g", DisplayName: "Everyone", IdP: "okta"}
		for i := range n + 3 {
			id := fmt.Sprintf("u%02d", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
			if i >= n {
				g.Members = append(g.Members, id)
			}
		}
		return tx.PutGroup(g)
	})
	errs := make([]error, n)
	racers(n, func(i int) {
		errs[i] = s.Update(context.Background(), func(tx directory.Tx) error {
			if err := tx.AddGroupMember("g", fmt.Sprintf("u%02d", i), directory.Meta{Version: int64(i + 1)}); err != nil {
				return err
			}
			if i == 0 {
				return tx.AddGroupMember("g", "u00", directory.Meta{Version: 1})
			}
			return nil
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("join %d: %v", i, err)
		}
	}
	view(t, s, func(tx directory.ReadTx) error {
		g, err := tx.Group("g")
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for i := range n {
			want[fmt.Sprintf("u%02d", i)] = true
		}
		if len(g.Members) != n+3 || !slices.Equal(g.Members[:3], []string{"u40", "u41", "u42"}) {
			t.Fatalf("%d members, first %v; want %d, the three it had first: %v", len(g.Members), g.Members[:min(3, len(g.Members))], n+3, g.Members)
		}
		for _, m := range g.Members[3:] {
			if !want[m] {
				t.Errorf("member %s is there twice, or was never added", m)
			}
			delete(want, m)
		}
		if g.Meta.Version < 1 || g.Meta.Version > n {
			t.Errorf("the group's version is %d, none of the joins'", g.Meta.Version)
		}
		return nil
	})
}
