-- 0005: group members by position.
--
-- A group's members are read in the order of their positions, and a member who joins takes
-- the position after the last: both read this index instead of every member's row, which a
-- group of tens of thousands made a sign-in's slowest part.
CREATE INDEX group_members_pos ON group_members (group_id, pos);
