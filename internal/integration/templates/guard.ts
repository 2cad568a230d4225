/**
 * What every template carries so that its spaces can be recycled (see
 * recycle.ts), installed by the admin once the migrations have run, in a schema
 * `pgspace_guard` that belongs to the admin:
 *
 * - the change guard: an event trigger that, on any DDL (GRANT, REVOKE,
 *   COMMENT, REFRESH included; temporary objects aside), sets a database-level
 *   setting only a superuser or the database's owner (the admin) can clear;
 * - the template's state, read with a superuser's view of the whole database
 *   (every schema and relation whoever owns it, row-level security not
 *   applied): a digest of each table's rows (binary, so no session setting can
 *   make two different rows look alike) and a copy of the rows of the tables
 *   that have any, every sequence's position, the large objects, the relations
 *   with planner statistics, and a digest of the catalogs;
 * - `reset()`, which puts a space back into that state, or says why it cannot
 *   be proven to be. It runs as the admin (SECURITY DEFINER), with triggers and
 *   rules off (session_replication_role = replica), all names quoted and
 *   resolved in pg_catalog only. Space roles may call it, through the owner role
 *   they belong to, but it refuses while the caller can log in: it works only
 *   after pgspace has taken the role's login away at the end of its test.
 *
 * What a space's role can change without DDL, and what reset() does with it,
 * is listed in the README ("Recycling").
 */
import pg from 'pg';

/** The schema of the guard, the template's recorded state and the reset routine. */
export const GUARD_SCHEMA = 'pgspace_guard';
/** The database-level setting the guard sets when the schema changes. */
export const CHANGED = 'pgspace.schema_changed';

/** Objects initdb made have OIDs below this: everything at or above it, a template or a test made. */
const FIRST_NORMAL_OID = 16384;

/** Where the template's data lives: every table in every schema but the system's, temporary ones and the guard's own. */
const DATA_TABLES = `
  SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgspace_guard')
     AND n.nspname !~ '^pg_(toast|temp|toast_temp)'`;
const SEQUENCES = DATA_TABLES.replace(`c.relkind = 'r'`, `c.relkind = 'S'`);

/** A digest of a set of rows, exact and independent of session settings: their binary form, sorted. */
const rowsDigest = (from: string) =>
  `SELECT sha256(coalesce(string_agg(b, ''::bytea ORDER BY b), ''::bytea)) FROM (SELECT pg_catalog.record_send(x) AS b FROM ${from} x) s`;

/**
 * What of the catalogs a space's role can change without DDL, compared in
 * reset(): CLUSTER's indisclustered, ANALYZE's planner statistics. And, as a
 * net under the guard for DDL it cannot see (a superuser's definer function
 * with triggers off), a census of the relations: how many, and the newest OID
 * (anything made after the clone has a greater one). Temporary ones aside.
 */
const CENSUS = `SELECT count(*)::text || ' ' || max(oid) FROM pg_class WHERE oid >= ${FIRST_NORMAL_OID} AND relpersistence <> 't'`;
const CLUSTERED = `SELECT ARRAY(SELECT indexrelid FROM pg_index WHERE indisclustered ORDER BY 1)`;
const STATISTICS = (
  analyzed: string,
) => `SELECT sha256(coalesce(string_agg(record_send(st), ''::bytea ORDER BY starelid, staattnum, stainherit), ''::bytea))
  FROM pg_statistic st WHERE starelid = ANY (${analyzed})`;

/**
 * SQL that installs the guard, records the template's state and installs
 * reset(), run as the admin (a superuser) in a template being built, after its
 * migrations; `owner` is the role that owns the template's objects, whose
 * members (the spaces' roles) may call reset() and blocker().
 *
 * reset() may run in a session whose catalog caches are cold (a space's first
 * recycling, or a session that had to end): so the template's state is one
 * row, and reset() reads as few catalogs as it can.
 */
export function guardSql(owner: string): string {
  const o = pg.escapeIdentifier(owner);
  const fixed = `SET search_path = pg_catalog, pg_temp`;
  return `
CREATE SCHEMA pgspace_guard; REVOKE ALL ON SCHEMA pgspace_guard FROM PUBLIC;

CREATE FUNCTION pgspace_guard.mark_changed() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER ${fixed} AS $guard$
BEGIN
  IF TG_EVENT = 'sql_drop' THEN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() WHERE NOT is_temporary) THEN RETURN; END IF;
  ELSIF NOT EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE schema_name IS NULL OR schema_name !~ '^pg_temp') THEN
    RETURN;
  END IF;
  EXECUTE format('ALTER DATABASE %I SET ${CHANGED} TO on', current_database());
END $guard$;

-- The template's state, one row. checks: a query that returns the statements putting back the
-- tables whose rows and the sequences whose positions differ from the template's.
CREATE TABLE pgspace_guard.state (
  blocker text, checks text, large_objects oid[], objects bytea, analyzed oid[], statistics bytea, census text, clustered oid[]);

-- Every large object: its metadata (owner, grants) and its data.
CREATE FUNCTION pgspace_guard.objects() RETURNS bytea LANGUAGE sql STABLE ${fixed} AS $f$
  SELECT sha256(coalesce(string_agg(b, ''::bytea ORDER BY b), ''::bytea)) FROM (
    SELECT record_send(m) || sha256(coalesce((SELECT string_agg(data, ''::bytea ORDER BY pageno) FROM pg_largeobject l WHERE l.loid = m.oid), ''::bytea)) AS b
      FROM pg_largeobject_metadata m) s
$f$;

-- Records the template's state. Anything it cannot record makes the template's spaces dropped, never recycled.
CREATE FUNCTION pgspace_guard.prepare() RETURNS void LANGUAGE plpgsql ${fixed} SET session_replication_role = replica AS $f$
DECLARE t record; has boolean; d bytea; v bigint; called boolean; cols text; why text; seed text; checks text[] := '{}'; analyzed oid[];
BEGIN
  -- Triggers and rules that fire in replica mode too would run while a space is put back.
  SELECT format('%s %I on %s fires even while pgspace puts rows back (ENABLE ALWAYS or REPLICA)', kind, name, rel) INTO why FROM (
    SELECT 'trigger' AS kind, tgname AS name, tgrelid::regclass AS rel FROM pg_trigger WHERE tgenabled IN ('A', 'R') AND NOT tgisinternal AND tgrelid >= ${FIRST_NORMAL_OID}
    UNION ALL SELECT 'rule', rulename, ev_class::regclass FROM pg_rewrite WHERE ev_enabled IN ('A', 'R') AND ev_class >= ${FIRST_NORMAL_OID}) x LIMIT 1;
  IF EXISTS (SELECT 1 FROM pg_statistic_ext) THEN
    why := coalesce(why, 'the template has extended statistics (CREATE STATISTICS), which pgspace cannot put back');
  END IF;
  FOR t IN ${DATA_TABLES} LOOP
    -- LOCK: waits for (or stops) an autovacuum ANALYZE of the test's rows, whose statistics would outlive the reset.
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM ONLY %s)', t.rel) INTO has;
    IF NOT has THEN
      checks := checks || format('(EXISTS (SELECT 1 FROM ONLY %s), %L)', t.rel,
        format('LOCK TABLE ONLY %s IN SHARE UPDATE EXCLUSIVE MODE; DELETE FROM ONLY %s', t.rel, t.rel));
      CONTINUE;
    END IF;
    EXECUTE format($q$${rowsDigest('ONLY %s')}$q$, t.rel) INTO d;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
      FROM pg_attribute WHERE attrelid = t.rel AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    seed := format('pgspace_guard.%I', 'seed_' || t.rel::oid);
    EXECUTE format('CREATE TABLE %s AS SELECT %s FROM ONLY %s', seed, cols, t.rel);
    checks := checks || format($q$((${rowsDigest('ONLY %s')}) IS DISTINCT FROM %L::bytea, %L)$q$, t.rel, d,
      format('LOCK TABLE ONLY %s IN SHARE UPDATE EXCLUSIVE MODE; DELETE FROM ONLY %s; INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s',
             t.rel, t.rel, t.rel, cols, cols, seed));
  END LOOP;
  FOR t IN ${SEQUENCES} LOOP
    EXECUTE format('SELECT last_value, is_called FROM %s', t.rel) INTO v, called;
    checks := checks || format('((SELECT ROW(last_value, is_called) FROM %s) IS DISTINCT FROM ROW(%s::bigint, %L::boolean), %L)',
      t.rel, v, called, format('SELECT pg_catalog.setval(%L, %s, %L)', t.rel, v, called));
  END LOOP;
  analyzed := ARRAY(SELECT DISTINCT starelid FROM pg_statistic WHERE starelid >= ${FIRST_NORMAL_OID} ORDER BY 1);
  INSERT INTO pgspace_guard.state (blocker, checks, large_objects, objects, analyzed, statistics)
    SELECT why,
           CASE WHEN cardinality(checks) = 0 THEN 'SELECT ARRAY[]::text[]'
                ELSE format('SELECT ARRAY(SELECT fix FROM (VALUES %s) v(differs, fix) WHERE differs)', array_to_string(checks, ', ')) END,
           ARRAY(SELECT oid FROM pg_largeobject_metadata), pgspace_guard.objects(), analyzed, (${STATISTICS('analyzed')});
EXCEPTION WHEN OTHERS THEN
  INSERT INTO pgspace_guard.state (blocker) VALUES ('recording the template''s state failed: ' || SQLERRM);
END $f$;

-- Why this template's spaces cannot be recycled, or NULL.
CREATE FUNCTION pgspace_guard.blocker() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER ${fixed} AS $f$
  SELECT CASE WHEN EXISTS (SELECT 1 FROM pgspace_guard.state) THEN (SELECT blocker FROM pgspace_guard.state) ELSE 'the template''s state was not recorded' END
$f$;

-- Puts this space back into its template's state; NULL when done, else why it cannot be proven to be.
-- track_counts off: its own writes must not make autovacuum visit the space during the next test.
CREATE FUNCTION pgspace_guard.reset() RETURNS text LANGUAGE plpgsql SECURITY DEFINER ${fixed}
  SET session_replication_role = replica SET track_counts = off AS $f$
DECLARE s pgspace_guard.state; fixes text[]; fix text; settings text[];
BEGIN
  IF session_user <> current_database() OR (SELECT rolcanlogin FROM pg_authid WHERE rolname = session_user) IS NOT FALSE THEN
    RAISE EXCEPTION 'pgspace_guard.reset() is for pgspace, once a space''s test is over' USING ERRCODE = '42501';
  END IF;
  SELECT * INTO s FROM pgspace_guard.state;
  IF s.census IS NULL OR s.blocker IS NOT NULL THEN RETURN coalesce(s.blocker, 'the template''s state was not recorded'); END IF;
  SELECT array_agg(c) INTO settings FROM pg_db_role_setting, unnest(setconfig) c
   WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND setrole IS DISTINCT FROM (SELECT oid FROM pg_authid WHERE rolname = session_user);
  IF '${CHANGED}=on' = ANY (settings) THEN RETURN 'its schema changed'; END IF;
  IF settings IS NOT NULL THEN RETURN 'settings were made for its database'; END IF;
  IF current_setting('max_prepared_transactions')::int > 0 AND EXISTS (SELECT 1 FROM pg_prepared_xacts WHERE database = current_database()) THEN
    RETURN 'it has a prepared transaction';
  END IF;
  IF (${CENSUS}) IS DISTINCT FROM s.census THEN RETURN 'relations were made or dropped unseen by the change guard'; END IF;
  IF (${CLUSTERED}) IS DISTINCT FROM s.clustered THEN RETURN 'an index was clustered (CLUSTER … USING)'; END IF;

  PERFORM lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid <> ALL (s.large_objects);
  IF cardinality(s.large_objects) > 0 AND pgspace_guard.objects() IS DISTINCT FROM s.objects THEN
    RETURN 'a large object of the template changed';
  END IF;

  EXECUTE s.checks INTO fixes;
  FOREACH fix IN ARRAY fixes LOOP
    EXECUTE fix;
  END LOOP;

  -- Statistics of relations the template had none for (ANALYZE, autovacuum) go; those it had must be as they were.
  DELETE FROM pg_statistic WHERE starelid >= ${FIRST_NORMAL_OID} AND starelid <> ALL (s.analyzed);
  IF cardinality(s.analyzed) > 0 AND (${STATISTICS('s.analyzed')}) IS DISTINCT FROM s.statistics THEN
    RETURN 'planner statistics of a table the template had statistics for changed (ANALYZE)';
  END IF;
  RETURN NULL;
END $f$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA pgspace_guard FROM PUBLIC;
GRANT USAGE ON SCHEMA pgspace_guard TO ${o};
GRANT EXECUTE ON FUNCTION pgspace_guard.reset(), pgspace_guard.blocker() TO ${o};

SELECT pgspace_guard.prepare();
CREATE EVENT TRIGGER pgspace_schema_changed ON ddl_command_end EXECUTE FUNCTION pgspace_guard.mark_changed();
CREATE EVENT TRIGGER pgspace_schema_dropped ON sql_drop EXECUTE FUNCTION pgspace_guard.mark_changed();
-- Last: the catalogs as every clone of the template starts with them.
UPDATE pgspace_guard.state SET census = (${CENSUS}), clustered = (${CLUSTERED});`;
}
