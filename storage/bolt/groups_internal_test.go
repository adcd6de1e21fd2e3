package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/storagetest"
)

// TestGroupMembersFollowEveryWrite runs the storage suite's walk of random member-list
// writes (storagetest.MemberWalk) on a bbolt file and checks, after every step, what bbolt
// adds: the chunks are laid out as each group's record says, none too large or empty, none
// left over; a reader without the decoded cache reads the same lists; and so does the file
// opened again. A deleted group leaves no chunk.
func TestGroupMembersFollowEveryWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roster.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	chunks := func(btx *bbolt.Tx, gid string) [][]byte {
		var keys [][]byte
		c := btx.Bucket(bGroupMembers).Cursor()
		for k, _ := c.Seek(prefix(gid)); k != nil && bytes.HasPrefix(k, prefix(gid)); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		return keys
	}
	check := func(step int, what string, want map[string][]string) {
		t.Helper()
		if err := s.DB().View(func(btx *bbolt.Tx) error {
			for gid, members := range want {
				raw := btx.Bucket(bGroups).Get([]byte(gid))
				g, err := (&txn{tx: btx}).decodeGroup(raw)
				if err != nil {
					return err
				}
				if !slices.Equal(g.Members, members) {
					t.Fatalf("step %d (%s): without the cache, %s has %d members, want %d", step, what, gid, len(g.Members), len(members))
				}
				rec, err := decodeGroupRecord(raw)
				if err != nil {
					return err
				}
				keys := chunks(btx, gid)
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
	want := storagetest.MemberWalk{Steps: 400, Users: 4000, After: check}.Run(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(0, "opened again", want)
	if err := s.Update(context.Background(), func(tx directory.Tx) error { return tx.DeleteGroup("g-a") }); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		if keys := chunks(btx, "g-a"); len(keys) > 0 {
			t.Errorf("%d chunks of the deleted group are left", len(keys))
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
		// And a second one, which a sign-in joins (AddGroupMember).
		other := directory.Group{ID: "g-old2", Org: directory.DefaultOrg, DisplayName: "Staff", IdP: "okta", Owner: directory.OwnerJIT, Members: members[:300]}
		if err := tx.put(bGroups, []byte(other.ID), other); err != nil {
			return err
		}
		if err := tx.indexGroup(other, other.Members); err != nil {
			return err
		}
		// And a third, which one of its members leaves (RemoveGroupMember).
		third := directory.Group{ID: "g-old3", Org: directory.DefaultOrg, DisplayName: "Few", IdP: "okta", Owner: directory.OwnerSCIM, Members: members[:200]}
		if err := tx.put(bGroups, []byte(third.ID), third); err != nil {
			return err
		}
		if err := tx.indexGroup(third, third.Members); err != nil {
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
				if in := slices.Contains(want, u); in != slices.Contains(of, "g-old") {
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
		if v := string(btx.Bucket(bMeta).Get([]byte("version"))); v != fmt.Sprint(formatVersion) {
			t.Errorf("data format %s after opening, want %d", v, formatVersion)
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
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.AddGroupMember("g-old2", "u-new", directory.Meta{Version: 7}) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		g, err := tx.Group("g-old2")
		if err != nil {
			return err
		}
		if want := append(slices.Clone(members[:300]), "u-new"); !slices.Equal(g.Members, want) || g.Meta.Version != 7 {
			t.Errorf("the second group after a join: %d members, version %d; want %d, version 7", len(g.Members), g.Meta.Version, len(want))
		}
		if of, err := tx.GroupsOfUser("u-new"); err != nil || !slices.Contains(of, "g-old2") {
			t.Errorf("groups of u-new: %v, %v", of, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	leaver := members[10]
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.RemoveGroupMember("g-old3", leaver, directory.Meta{Version: 9}) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		g, err := tx.Group("g-old3")
		if err != nil {
			return err
		}
		want := slices.DeleteFunc(slices.Clone(members[:200]), func(m string) bool { return m == leaver })
		if !slices.Equal(g.Members, want) || g.Meta.Version != 9 {
			t.Errorf("the third group after a member left: %d members, version %d; want %d, version 9", len(g.Members), g.Meta.Version, len(want))
		}
		if of, err := tx.GroupsOfUser(leaver); err != nil || slices.Contains(of, "g-old3") {
			t.Errorf("groups of the member who left: %v, %v", of, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
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

// A member who joins goes into the group's last chunk while it has room and into a chunk of
// its own after it when it is full; the list reads back in order, from the cache or not.
func TestJoinFillsTheLastChunkThenStartsOne(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var members []string
	if err := s.Update(ctx, func(tx directory.Tx) error {
		g := directory.Group{ID: "g", DisplayName: "G", IdP: "okta"}
		for i := range chunkMembers + 2 {
			id := fmt.Sprintf("u-%04d", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
			members = append(members, id)
		}
		g.Members = members[:chunkMembers-1]
		return tx.PutGroup(g)
	}); err != nil {
		t.Fatal(err)
	}
	for _, m := range members[chunkMembers-1:] {
		if err := s.Update(ctx, func(tx directory.Tx) error { return tx.AddGroupMember("g", m, directory.Meta{Version: 2}) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		raw := btx.Bucket(bGroups).Get([]byte("g"))
		rec, err := decodeGroupRecord(raw)
		if err != nil {
			return err
		}
		if want := []chunkRef{{0, chunkMembers}, {1, 2}}; !slices.Equal(rec.Chunks, want) {
			t.Errorf("chunks %v, want %v", rec.Chunks, want)
		}
		for _, tx := range []*txn{{tx: btx}, s.txn(btx)} {
			g, err := tx.Group("g")
			if err != nil {
				return err
			}
			if !slices.Equal(g.Members, members) || g.Meta.Version != 2 {
				t.Errorf("members %d, version %d; want %d in order, version 2", len(g.Members), g.Meta.Version, len(members))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Memberships written earlier in the same transaction count: a list that repeats a member of
// an unchanged chunk, put in the transaction that made it a member, keeps it once, and a
// member added twice in one transaction is a member once. (bbolt's Get reads an entry without
// a value, put in the same transaction, as absent.)
func TestMembershipsOfTheSameTransactionCount(t *testing.T) {
	s := openTemp(t)
	var members []string
	if err := s.Update(context.Background(), func(tx directory.Tx) error {
		for i := range 601 {
			id := fmt.Sprintf("u-%04d", i)
			if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
				return err
			}
			members = append(members, id)
		}
		g := directory.Group{ID: "g", DisplayName: "G", IdP: "okta", Members: members[:600]}
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		g.Members = append(slices.Clone(members[:600]), members[5])
		if err := tx.PutGroup(g); err != nil {
			return err
		}
		if err := tx.AddGroupMember("g", members[600], directory.Meta{}); err != nil {
			return err
		}
		return tx.AddGroupMember("g", members[600], directory.Meta{})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(context.Background(), func(tx directory.ReadTx) error {
		g, err := tx.Group("g")
		if err != nil {
			return err
		}
		if !slices.Equal(g.Members, members) {
			t.Errorf("%d members, want the %d, each once", len(g.Members), len(members))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A member who leaves is taken out of its chunk alone, which is rewritten, or deleted when it
// held that member only; the others keep their order and chunks. A member whose id's encoding
// is also inside another member's id is found all the same, and that other member stays.
func TestLeaveRewritesOneChunk(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	var members []string
	if err := s.Update(ctx, func(tx directory.Tx) error {
		for i := range 2*chunkMembers + 1 {
			id := fmt.Sprintf("u-%04d", i)
			if i == 3 {
				id = "x\x06u-0300" // holds the encoding of u-0300 (its length, then the id)
			}
			if err := tx.PutUser(directory.User{ID: id, UserName: fmt.Sprint("name-", i), IdP: "okta"}); err != nil {
				return err
			}
			members = append(members, id)
		}
		return tx.PutGroup(directory.Group{ID: "g", DisplayName: "G", IdP: "okta", Members: members})
	}); err != nil {
		t.Fatal(err)
	}
	chunkBytes := func() map[uint32][]byte {
		out := map[uint32][]byte{}
		if err := s.DB().View(func(btx *bbolt.Tx) error {
			c := btx.Bucket(bGroupMembers).Cursor()
			p := prefix("g")
			for k, v := c.Seek(p); bytes.HasPrefix(k, p); k, v = c.Next() {
				out[binary.BigEndian.Uint32(k[len(p):])] = slices.Clone(v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	leave := func(id string, version int64) {
		t.Helper()
		before := chunkBytes()
		if err := s.Update(ctx, func(tx directory.Tx) error { return tx.RemoveGroupMember("g", id, directory.Meta{Version: version}) }); err != nil {
			t.Fatal(err)
		}
		members = slices.DeleteFunc(members, func(m string) bool { return m == id })
		after := chunkBytes()
		changed := 0
		for num, raw := range before {
			if !bytes.Equal(after[num], raw) {
				changed++
			}
		}
		if changed != 1 {
			t.Errorf("%s leaving changed %d chunks, want 1", id, changed)
		}
		if err := s.View(ctx, func(tx directory.ReadTx) error {
			g, err := tx.Group("g")
			if err != nil {
				return err
			}
			of, err := tx.GroupsOfUser(id)
			if !slices.Equal(g.Members, members) || g.Meta.Version != version || len(of) != 0 || err != nil {
				t.Errorf("after %s left: %d members (want %d in order), version %d, its groups %v %v", id, len(g.Members), len(members), g.Meta.Version, of, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	leave("u-0300", 2) // in chunk 1; its bytes are in chunk 0 too, inside x\x06u-0300
	if _, ok := chunkBytes()[2]; !ok {
		t.Fatal("the last chunk is gone before its member left")
	}
	leave(fmt.Sprintf("u-%04d", 2*chunkMembers), 3) // the last chunk's only member
	if got := chunkBytes(); len(got) != 2 {
		t.Errorf("%d chunks after the last one's only member left, want 2", len(got))
	}
	if err := s.DB().View(func(btx *bbolt.Tx) error {
		rec, err := decodeGroupRecord(btx.Bucket(bGroups).Get([]byte("g")))
		if want := []chunkRef{{0, chunkMembers}, {1, chunkMembers - 1}}; err != nil || !slices.Equal(rec.Chunks, want) {
			t.Errorf("chunks %v %v, want %v", rec.Chunks, err, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// One who is no member leaves: nothing but the meta changes.
	if err := s.Update(ctx, func(tx directory.Tx) error { return tx.RemoveGroupMember("g", "u-0300", directory.Meta{Version: 4}) }); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx directory.ReadTx) error {
		g, err := tx.Group("g")
		if err != nil || !slices.Equal(g.Members, members) || g.Meta.Version != 4 {
			t.Errorf("after a stranger left: %d members, version %d, %v", len(g.Members), g.Meta.Version, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
