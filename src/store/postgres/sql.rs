//! The statements of a commit. Each runs with the store's schema first on the
//! `search_path`.

/// The common-table expressions of a create: the claim, its keys (those another claim holds
/// are left out), its counted place and the new count. [`CREATE`] and [`FAST_CREATE`] differ
/// only in what they do with the outcome.
macro_rules! create_ctes {
    () => {
        "WITH ins AS (
        INSERT INTO claims
            (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
        VALUES ($1, $2, $3, $4, 1, $5, $6, $7)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
    ), keys AS (
        INSERT INTO unique_keys (key, claim)
        SELECT k.key, ins.id FROM ins, unnest($8::text[]) WITH ORDINALITY AS k(key, n)
        ORDER BY k.n
        ON CONFLICT (key) DO NOTHING
        RETURNING key
    ), place AS (
        INSERT INTO counted (claim, key)
        SELECT ins.id, $9::text FROM ins WHERE $9::text IS NOT NULL
        RETURNING key
    ), counter AS (
        INSERT INTO counted_keys (key, n) SELECT key, 1 FROM place
        ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + 1
        RETURNING n
    )"
    };
}

/// The common-table expression that files a write's events in the outbox, in the write's
/// own statement, under the claim the CTE `$from` returns (none if it returns none: a create
/// that found its claim, an update that did not find its version) and the version
/// `$version`, with their places (`$places`) and their JSON (`$events`), in order. A refusal
/// later in the commit rolls them back with the claim. An event already filed under its ID
/// is kept as it is (a version is given once, so none is).
macro_rules! file_events {
    ($from:literal, $version:literal, $places:literal, $events:literal) => {
        concat!(
            ", events AS (
        INSERT INTO outbox (claim, version, idx, event)
        SELECT ",
            $from,
            ".id, ",
            $version,
            ", e.idx, e.event
        FROM ",
            $from,
            ", unnest(",
            $places,
            "::int[], ",
            $events,
            "::jsonb[]) WITH ORDINALITY AS e(idx, event, n)
        ORDER BY e.n
        ON CONFLICT (claim, version, idx) DO NOTHING
    )"
        )
    };
}

/// What [`CREATE`] and [`CREATE_EVENTS`] return: whether the claim was inserted, the keys
/// inserted and the new count.
macro_rules! create_outcome {
    () => {
        "
    SELECT (SELECT count(*) FROM ins), ARRAY(SELECT key FROM keys), (SELECT n FROM counter)"
    };
}

/// A create, with (in a commit of creates only) its keys and counted place: the keys another
/// claim holds are left out, and the statement returns those inserted and the new count.
pub(super) const CREATE: &str = concat!(create_ctes!(), create_outcome!());

/// [`CREATE`] of a create with events, which it files under the first version (places
/// `$10`, JSON `$11`). A create without events keeps to [`CREATE`].
pub(super) const CREATE_EVENTS: &str = concat!(
    create_ctes!(),
    file_events!("ins", "1", "$10", "$11"),
    create_outcome!()
);

/// The SQLSTATE of `refuse_commit()`.
pub(super) const REFUSED: &str = "CR001";

/// The end of [`FAST_CREATE`] and [`FAST_CREATE_EVENTS`]: `refuse_commit()` (which aborts
/// the statement, so that nothing is written) unless the claim was inserted, every key
/// acquired and the count within `$10`.
macro_rules! fast_create_outcome {
    () => {
        ", outcome AS (
        SELECT (SELECT count(*) FROM ins) = 1
            AND (SELECT count(*) FROM keys) = cardinality($8::text[])
            AND coalesce((SELECT n FROM counter) <= $10::bigint, true) AS accepted
    )
    SELECT CASE WHEN accepted THEN 1 ELSE refuse_commit() END FROM outcome"
    };
}

/// A commit of one create in one autocommitted statement: [`CREATE`], then `refuse_commit()`
/// (which aborts the statement, so that nothing is written) unless the claim was inserted,
/// every key acquired and the count within `$10`.
pub(super) const FAST_CREATE: &str = concat!(create_ctes!(), fast_create_outcome!());

/// [`FAST_CREATE`] of a create with events, which it files under the first version (places
/// `$11`, JSON `$12`) in the same statement, so that a refusal undoes them with the claim. A
/// create without events keeps to [`FAST_CREATE`].
pub(super) const FAST_CREATE_EVENTS: &str = concat!(
    create_ctes!(),
    file_events!("ins", "1", "$11", "$12"),
    fast_create_outcome!()
);

/// The claim a create found in its place.
pub(super) const EXISTING: &str = "SELECT version, body FROM claims WHERE id = $1";

/// The common-table expressions of an update that must find the expected version,
/// releasing the keys and the counted place the new version no longer holds.
macro_rules! update_ctes {
    () => {
        "WITH upd AS (
        UPDATE claims SET partner = $2, engagement = $3, customer = $4, version = $5,
            next_deadline = $6, next_deadline_ns = $7, body = $8
        WHERE id = $1 AND version = $9
        RETURNING id
    ), released_keys AS (
        DELETE FROM unique_keys
        WHERE claim IN (SELECT id FROM upd) AND NOT (key = ANY($10::text[]))
    ), released_place AS (
        DELETE FROM counted
        WHERE claim IN (SELECT id FROM upd) AND key IS DISTINCT FROM $11::text
        RETURNING key
    ), counter AS (
        UPDATE counted_keys SET n = n - 1 WHERE key IN (SELECT key FROM released_place)
    )"
    };
}

/// An update that must find the expected version, releasing the keys and the counted place
/// the new version no longer holds.
pub(super) const UPDATE: &str = concat!(
    update_ctes!(),
    "
    SELECT count(*) FROM upd"
);

/// [`UPDATE`] of an update with events, which it files under the new version `$5` (places
/// `$12`, JSON `$13`). An update without events keeps to [`UPDATE`].
pub(super) const UPDATE_EVENTS: &str = concat!(
    update_ctes!(),
    file_events!("upd", "$5", "$12", "$13"),
    "
    SELECT count(*) FROM upd"
);

/// The version an update did not find.
pub(super) const VERSION_OF: &str = "SELECT version FROM claims WHERE id = $1";

/// The keys of a commit with updates, after every release: those inserted come back.
pub(super) const ACQUIRE_KEYS: &str = "INSERT INTO unique_keys (key, claim)
    SELECT key, claim FROM unnest($1::text[], $2::uuid[]) WITH ORDINALITY AS k(key, claim, n)
    ORDER BY k.n
    ON CONFLICT (key) DO NOTHING
    RETURNING key, claim";

/// The counted place of one write of a commit with updates; no row if the claim kept it.
pub(super) const ACQUIRE_PLACE: &str = "WITH place AS (
        INSERT INTO counted (claim, key) VALUES ($1, $2)
        ON CONFLICT (claim) DO NOTHING
        RETURNING key
    )
    INSERT INTO counted_keys (key, n) SELECT key, 1 FROM place
    ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + 1
    RETURNING n";

/// The holders of some keys.
pub(super) const HOLDERS: &str = "SELECT key, claim FROM unique_keys WHERE key = ANY($1::text[])";

/// What the store holds for an import batch, read in one statement (one snapshot), one row
/// per item, told apart by `kind`: `0`, a claim of the batch's IDs already stored
/// (`id`, `version`, `body`); `1`, the holder (`id`) of one of the batch's keys (`key`); `2`,
/// the count (`n`) of one of the batch's counted keys (`key`).
pub(super) const IMPORT_READ: &str = "SELECT 0::int2, id, version, body, NULL::text, NULL::int4
        FROM claims WHERE id = ANY($1::uuid[])
    UNION ALL
    SELECT 1::int2, claim, NULL, NULL, key, NULL FROM unique_keys WHERE key = ANY($2::text[])
    UNION ALL
    SELECT 2::int2, NULL, NULL, NULL, key, n FROM counted_keys WHERE key = ANY($3::text[])";

/// The claims an import accepted, in batch order (so that `seq` numbers them in that order).
/// An ID already stored is a `unique_violation`, and the import runs again.
pub(super) const IMPORT_CLAIMS: &str = "COPY claims
    (id, partner, engagement, customer, version, next_deadline, next_deadline_ns, body)
    FROM STDIN (FORMAT binary)";

/// The keys the claims an import accepted hold, sorted by key, so that concurrent writers lock
/// keys in one order. A key already held (by a claim the import did not read, or one committed
/// since it read) is a `unique_violation`, and the import runs again.
pub(super) const IMPORT_KEYS: &str = "COPY unique_keys (key, claim) FROM STDIN (FORMAT binary)";

/// The counted places an import's claims take (`$1` claims, `$2` their keys), and what each
/// counted key's count grows by (`$3` keys, sorted, `$4` how many): the new counts come back,
/// each row locked until the transaction ends, as a commit's counter is.
pub(super) const IMPORT_COUNTED: &str = "WITH place AS (
        INSERT INTO counted (claim, key) SELECT * FROM unnest($1::uuid[], $2::text[])
    )
    INSERT INTO counted_keys (key, n) SELECT * FROM unnest($3::text[], $4::int4[])
    ON CONFLICT (key) DO UPDATE SET n = counted_keys.n + excluded.n
    RETURNING key, n";
