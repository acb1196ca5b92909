-- migrate:up
SET LOCAL lock_timeout = '5s';
-- One reset token per user from now on (the next migration makes it unique): keep each user's newest row.
-- The older ones are superseded links, worthless once a newer one was sent. If the unique index of the next
-- migration then fails (a request of the running old version added a second row in between), run
-- `npm run migrate` again: this file is applied, the next one re-runs after dropping its INVALID index.
DELETE FROM password_resets p
 WHERE EXISTS (SELECT 1 FROM password_resets q WHERE q.user_id = p.user_id AND q.id > p.id);

-- migrate:down
-- Data loss, on purpose: the deleted tokens were superseded; nothing to put back.
SELECT 1;
