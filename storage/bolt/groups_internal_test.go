package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
)

// TestGroupMembersFollowEveryWrite puts two groups through random writes of their member
// lists — members added at the end, in the middle, taken out one by one or in runs, lists
// reordered, replaced, repeated, with a member that is not a user — and users deleted, and
// after each checks what a reader sees against a plain model of the list: the members in
// order, each once (its first place kept), the memberships of every user both ways, a refused
// write changing nothing, and the chunks laid out as the record says, none left over. The
// same holds for a reader without the decoded cache and after the file is opened again.
func TestGroupMembersFollowEveryWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const pool = 4000
	users := make([]string, pool)
	alive := map[string]bool{}
	if err := s.UpdateUnbatched(ctx, func(tx directory.Tx) error {
		for i := range users {
			users[i] = fmt.Sprintf("u-%04d", i)
			alive[users[i]] = true
			if err := tx.PutUser(directory.User{ID: users[i], UserName: users[i], IdP: "okta"}); err != nil {
				return err
			}
		}
		for _, gid := range []string{"g-a", "g-b"} {
			if err := tx.PutGroup(directory.Group{ID: gid, DisplayName: gid, IdP: "okta"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	model := map[string][]string{"g-a": {}, "g-b": {}}
	r := rand.New(rand.NewPCG(7, 11))
	pick := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = users[r.IntN(pool)]
		}
		return out
	}
	firsts := func(list []string) []string {
		seen := map[string]bool{}
		var out []string
		for _, m := range list {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
		if out == nil {
			out = []string{}
		}
		return out
	}
	// check reads both groups, the memberships of the users touched (every user's now and
	// then) and the chunks.
	check := func(step int, what string, touched []string) {
		t.Helper()
		if step%25 == 0 {
			touched = users
		}
		if err := s.DB().View(func(btx *bbolt.Tx) error {
			for _, tx := range []*txn{{tx: btx, cache: &s.cache}, {tx: btx}} {
				for gid, want := range model {
					g, err := tx.Group(gid)
					if err != nil {
						return err
					}
					if !slices.Equal(g.Members, want) {
						t.Fatalf("step %d (%s): %s has %d members %v…, want %d %v…", step, what, gid, len(g.Members), g.Members[:min(5, len(g.Members))], len(want), want[:min(5, len(want))])
					}
				}
			}
			tx := &txn{tx: btx}
			for _, u := range touched {
				if !alive[u] {
					continue
				}
				of, err := tx.GroupsOfUser(u)
				if err != nil {
					return err
				}
				var want []string
				for _, gid := range []string{"g-a", "g-b"} {
					if slices.Contains(model[gid], u) {
						want = append(want, gid)
					}
				}
				if !slices.Equal(of, want) && !(len(of) == 0 && len(want) == 0) {
					t.Fatalf("step %d (%s): groups of %s are %v, want %v", step, what, u, of, want)
				}
			}
			for gid := range model {
				rec, err := decodeGroupRecord(btx.Bucket(bGroups).Get([]byte(gid)))
				if err != nil {
					return err
				}
				var keys [][]byte
				c := btx.Bucket(bGroupMembers).Cursor()
				for k, _ := c.Seek(prefix(gid)); k != nil && bytes.HasPrefix(k, prefix(gid)); k, _ = c.Next() {
					keys = append(keys, bytes.Clone(k))
				}
				if len(keys) != len(rec.Chunks) {
					t.Fatalf("step %d (%s): %s has %d chunks stored and %d in its record", step, what, gid, len(keys), len(rec.Chunks))
				}
				for i, ref := range rec.Chunks {
					if !bytes.Equal(keys[i], chunkKey(gid, ref[0])) || ref[1] == 0 || ref[1] > chunkMembers {
						t.Fatalf("step %d (%s): %s's chunk %d is %v, stored as %x", step, what, gid, i, ref, keys[i])
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
	}
	large := 0
	for step := range 400 {
		gid := []string{"g-a", "g-b"}[r.IntN(2)]
		before, cur := model[gid], slices.Clone(model[gid])
		if len(cur) > 2*chunkMembers {
			large++
		}
		var next []string
		var what string
		switch op := r.IntN(10); op {
		case 0, 1:
			what, next = "add at the end", append(cur, pick(1+r.IntN(400))...)
		case 2:
			what = "insert in the middle"
			at := r.IntN(len(cur) + 1)
			next = slices.Insert(cur, at, pick(1+r.IntN(40))...)
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
				next = slices.Delete(cur, i, min(len(cur), i+r.IntN(300)))
			}
		case 6:
			what = "swap two"
			next = cur
			if len(next) > 1 {
				i, j := r.IntN(len(next)), r.IntN(len(next))
				next[i], next[j] = next[j], next[i]
			}
		case 7:
			what, next = "replace", pick(r.IntN(3000))
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
			victim := users[r.IntN(pool)]
			if len(cur) > 0 && r.IntN(2) == 0 {
				victim = cur[r.IntN(len(cur))]
			}
			if !alive[victim] {
				continue
			}
			if err := s.Update(ctx, func(tx directory.Tx) error { return tx.DeleteUser(victim) }); err != nil {
				t.Fatal(err)
			}
			delete(alive, victim)
			for g := range model {
				model[g] = slices.DeleteFunc(model[g], func(m string) bool { return m == victim })
			}
			check(step, what, []string{victim})
			continue
		}
		// Deleted users are not users: a list naming one is refused whole.
		refused := slices.ContainsFunc(next, func(m string) bool { return !alive[m] })
		if r.IntN(15) == 0 {
			what, refused = what+" with a stranger", true
			next = slices.Insert(next, r.IntN(len(next)+1), "not-a-user")
		}
		err := s.Update(ctx, func(tx directory.Tx) error {
			return tx.PutGroup(directory.Group{ID: gid, DisplayName: gid, IdP: "okta", Members: next})
		})
		switch {
		case refused && !errors.Is(err, directory.ErrInvalid):
			t.Fatalf("step %d (%s): a list with a member that is not a user: %v, want ErrInvalid", step, what, err)
		case !refused && err != nil:
			t.Fatalf("step %d (%s): %v", step, what, err)
		case !refused:
			model[gid] = firsts(next)
		}
		check(step, what, append(slices.Clone(before), next...))
	}
	// The walk must have had lists of several chunks to change in their middle.
	if large < 120 {
		t.Fatalf("only %d of the writes were to a group of more than %d members", large, 2*chunkMembers)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(0, "opened again", nil)
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.DeleteGroup("g-a") }); err != nil {
		t.Fatal(err)
	}
	delete(model, "g-a")
	check(0, "g-a deleted", nil)
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		if k, _ := btx.Bucket(bGroupMembers).Cursor().Seek(prefix("g-a")); k != nil && bytes.HasPrefix(k, prefix("g-a")) {
			t.Errorf("a chunk of the deleted group is left: %x", k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A group written before data format 3 holds its members in its record. Opened by this
// version the file becomes format 3 without rewriting it; the group reads as it was, and its
// next write moves the members into chunks — keeping their order, the memberships of those who
// stay, leave and join, and the record without its old list.
func TestGroupsFromFormat2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for i := range 600 {
		members = append(members, fmt.Sprintf("u-%04d", 599-i))
	}
	// As format 2 wrote it: the group's JSON with its members, and their memberships.
	old := directory.Group{ID: "g-old", Org: directory.DefaultOrg, DisplayName: "Everyone", IdP: "okta", Owner: directory.OwnerJIT, Members: members}
	if err := s.DB().Update(func(btx *bbolt.Tx) error {
		tx := &txn{tx: btx}
		for _, id := range append(slices.Clone(members), "u-new") {
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
		}
		if err := tx.put(bGroups, []byte(old.ID), old); err != nil {
			return err
		}
		if err := tx.indexGroup(old, old.Members); err != nil {
			return err
		}
		return btx.Bucket(bMeta).Put([]byte("version"), []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	read := func(what string, want []string) {
		t.Helper()
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			g, err := tx.Group("g-old")
			if err != nil {
				return err
			}
			if !slices.Equal(g.Members, want) {
				t.Errorf("%s: %d members %v…, want %d %v…", what, len(g.Members), g.Members[:min(3, len(g.Members))], len(want), want[:3])
			}
			for _, u := range []string{"u-0000", "u-0599", "u-0300", "u-new"} {
				of, err := tx.GroupsOfUser(u)
				if err != nil {
					return err
				}
				if in := slices.Contains(want, u); in != (len(of) == 1) {
					t.Errorf("%s: groups of %s are %v; a member: %v", what, u, of, in)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	read("opened", members)
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		if v := string(btx.Bucket(bMeta).Get([]byte("version"))); v != "3" {
			t.Errorf("data format %s after opening, want 3", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := append(slices.DeleteFunc(slices.Clone(members), func(m string) bool { return m == "u-0300" }), "u-new")
	if err := s.Update(ctx, func(tx directory.Tx) error {
		g, err := tx.Group("g-old")
		if err != nil {
			return err
		}
		g.Members = append(slices.DeleteFunc(g.Members, func(m string) bool { return m == "u-0300" }), "u-new")
		return tx.PutGroup(g)
	}); err != nil {
		t.Fatal(err)
	}
	read("written", want)
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		raw := btx.Bucket(bGroups).Get([]byte("g-old"))
		rec, err := decodeGroupRecord(raw)
		if err != nil {
			return err
		}
		if bytes.Contains(raw, []byte(`"members"`)) || len(rec.Chunks) != 3 {
			t.Errorf("the written record is %s, want its members in 3 chunks", raw)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
