-- What a block took out of the posts' reaction counters: while a member is
-- blocked (any row of blocks), their reactions do not count, and this row
-- holds the reactions taken out (post -> kind), so that the unblock puts
-- back exactly those. It is written in the transaction that moves the
-- counters (pgkv's tables, same schema), so a block or an unblock repeated
-- (a retry, hub's event redelivered) finds it written and moves nothing
-- again; a reaction the member changes or takes back while blocked moves
-- this row instead of the counters. Unused with Riak (see README, Open
-- points).

-- +goose Up
CREATE TABLE uncounted_reactions (
    app        text NOT NULL,
    member     text NOT NULL,
    posts      jsonb NOT NULL,         -- post -> reaction kind
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app, member)
);

-- +goose Down
DROP TABLE uncounted_reactions;
