package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/storage/postgres"
)

// TestSmallGroupReadsUseTheIndex: where one group is large and another small, the statements
// that read a group's members plan the small group's read by the index, as a custom plan and
// as the generic plan a prepared statement settles on — never a scan of every membership.
// (A subquery joined to the group, m.group_id = g.id, was planned for the average group: a
// sequential scan of all memberships and a sort, to read a group of ten.)
func TestSmallGroupReadsUseTheIndex(t *testing.T) {
	url := freshSchema(t)
	st := openAt(t, url)
	ctx := context.Background()
	var large, small []string
	for first := 0; first < 5010; first += 5000 {
		if err := st.Update(ctx, func(tx directory.Tx) error {
			for i := first; i < min(first+5000, 5010); i++ {
				id := fmt.Sprintf("u-%05d", i)
				if err := tx.PutUser(directory.User{ID: id, UserName: id, IdP: "okta"}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		admin(t, url, "ANALYZE") // as the store does itself as tables grow: the users' writes are planned for the rows there are
	}
	for i := range 5010 {
		if id := fmt.Sprintf("u-%05d", i); i < 5000 {
			large = append(large, id)
		} else {
			small = append(small, id)
		}
	}
	if err := st.Update(ctx, func(tx directory.Tx) error {
		if err := tx.PutGroup(directory.Group{ID: "g-large", DisplayName: "Everyone", IdP: "okta", Members: large}); err != nil {
			return err
		}
		return tx.PutGroup(directory.Group{ID: "g-small", DisplayName: "Few", IdP: "okta", Members: small})
	}); err != nil {
		t.Fatal(err)
	}
	admin(t, url, "ANALYZE")
	conn := pgxConnect(t, url)
	for name, sql := range postgres.GroupReads {
		// The group, then limits: none (noLimit), or one the group is within.
		types, args := "text", "'g-small'"
		switch {
		case strings.Contains(sql, "$3"):
			types, args = "text, bigint, bigint", "'g-small', 1001, 9223372036854775807"
		case strings.Contains(sql, "$2"):
			types, args = "text, bigint", "'g-small', 9223372036854775807"
		}
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			if _, err := conn.Exec(ctx, "DEALLOCATE ALL; SET plan_cache_mode = "+mode); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf("PREPARE p(%s) AS %s", types, sql)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// Sent as simple text: a statement pgx prepared for it would go with DEALLOCATE ALL.
			rows, err := conn.Query(ctx, fmt.Sprintf("EXPLAIN EXECUTE p(%s)", args), pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(plan) == 0 {
				t.Fatalf("%s, %s: no plan: %v", name, mode, err)
			}
			if text := strings.Join(plan, "\n"); strings.Contains(text, "Seq Scan on group_members") {
				t.Errorf("%s, %s: the small group's read scans every membership:\n%s", name, mode, text)
			}
		}
	}
}
