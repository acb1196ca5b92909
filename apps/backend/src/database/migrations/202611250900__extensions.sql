-- migrate:up
-- Fail fast rather than queue behind (and in front of) other sessions' locks.
SET LOCAL lock_timeout = '5s';

-- Extensions every module may rely on (docs/ARCHITECTURE §3). Created in
-- public explicitly so their functions resolve the same way for every role.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;   -- digest(), gen_random_bytes()
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;    -- trigram GIN indexes for name search
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;   -- accent-insensitive search (Portuguese names)
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public; -- exclusion constraints mixing = and &&
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;     -- case-insensitive e-mail addresses

-- unaccent(text) is only STABLE because it finds its dictionary through
-- search_path, so it cannot appear in an index expression. Naming the
-- dictionary and the function by schema removes that dependency, which makes
-- IMMUTABLE truthful. The SQL-standard body (RETURN) records a dependency on
-- unaccent, so the extension cannot be dropped from under an index.
CREATE FUNCTION public.immutable_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN public.unaccent('public.unaccent'::regdictionary, $1);

COMMENT ON FUNCTION public.immutable_unaccent(text) IS
  'unaccent() pinned to public.unaccent, IMMUTABLE so it can be used in indexes: GIN (immutable_unaccent(lower(name)) gin_trgm_ops)';

-- migrate:down
SET LOCAL lock_timeout = '5s';
DROP FUNCTION public.immutable_unaccent(text);
DROP EXTENSION citext;
DROP EXTENSION btree_gist;
DROP EXTENSION unaccent;
DROP EXTENSION pg_trgm;
DROP EXTENSION pgcrypto;
