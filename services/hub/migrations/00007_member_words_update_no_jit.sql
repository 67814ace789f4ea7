-- The word index's update trigger runs without JIT compilation. The
-- planner knows nothing of the transition tables' ids, so it takes the join
-- of 10,000 old rows to 10,000 new ones for 500,000 rows; past JIT's cost
-- threshold, each statement spent 10 to 15 ms compiling itself to run in
-- 5 ms (a batch of 10,000 members updated: 265 ms instead of 200 ms).

-- +goose Up
ALTER FUNCTION member_words_update_rows() SET jit = off;

-- +goose Down
ALTER FUNCTION member_words_update_rows() RESET jit;
