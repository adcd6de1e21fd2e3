-- 0003: userNames folded anew (NFKC and full case folding).
--
-- Roster folds userNames and emails itself and stores the folded forms in columns; a newer
-- folding recomputes them once, in one transaction (directory.Service.RefoldIndexes). Two users
-- of one organization whose userNames were distinct under the old folding may be one name
-- under the new: one keeps the name, and the other keeps no folded userName, NULL, which no
-- lookup matches and which the unique constraint on (org, user_name_folded) allows for many
-- rows, until an administrator renames one of them.
ALTER TABLE users ALTER COLUMN user_name_folded DROP NOT NULL;
