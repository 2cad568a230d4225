/**
 * Advisory lock keys (the two-int4 form). One class for everything pgspace
 * locks: objid 0 serialises template builds; any other objid is a test run
 * id, held by that run for its whole life, so others can tell it is alive.
 */
export const LOCK_CLASS = 0x70677370; // "pgsp"
export const TEMPLATE_LOCK = 0;
/** Another class, keyed by run id, serialises counting a run's spaces against its cap (see capSql). */
export const CAP_LOCK_CLASS = 0x70677371; // "pgsq"
