"""The search index's tables, functions and triggers, in each database's own SQL.

One document per ticket: its subject, the text of its public messages, and the text of its
internal notes, kept apart so that a customer's search never reads the notes. The database's
triggers keep it current in the transaction that writes the message or ticket (services,
merges' bulk moves, the admin and raw SQL alike); ``rebuild`` statements index every ticket anew.

SQLite: FTS5 tables storing their own copy of the text (the snippets are cut from it):
``search_ticket_text`` (unicode61, diacritics removed) for every ticket, and
``search_ticket_cjk`` (trigram) for the tickets with text in a script written without spaces.
PostgreSQL: ``search_document``, a tsvector per audience (customer, staff) with a GIN index each,
in the ``extdesk_search`` configuration (``simple`` with ``unaccent``); the text for snippets is
read from the messages of the rows shown.
"""

# ruff: noqa: RUF001, RUF003 - Greek letters on purpose

from __future__ import annotations

from .terms import CJK_CLASS, CJK_RANGES, GREEK_MARKS

# A ticket's public text, and its notes' text, are indexed up to this many characters each: a
# PostgreSQL tsvector holds at most 1 MB, and the longest threads are pasted logs.
INDEXED_CHARS = 100_000

# Markers the engines put around a match in a snippet, and the separator PostgreSQL's parser
# sees between the characters of a CJK run (private-use characters, removed before display).
MARK_START, MARK_END, CJK_SEPARATOR = "\ue001", "\ue002", "\ue000"

FTS_TABLE = "search_ticket_text"
CJK_TABLE = "search_ticket_cjk"
PG_TABLE = "search_document"
PG_CONFIG = "extdesk_search"

# ---------------------------------------------------------------- SQLite

_CJK_GLOB = "'*[" + "".join(f"{low}-{high}" for low, high in CJK_RANGES) + "]*'"


def _fold(expression: str) -> str:
    """``expression`` with the Greek marks SQLite's tokenizer keeps replaced by the bare letters."""
    for marked, bare in GREEK_MARKS.items():
        expression = f"replace({expression}, '{marked}', '{bare}')"
    return expression


def _thread_text(ticket: str, internal: int) -> str:
    """The ticket's public (0) or internal (1) messages' text, oldest first, as indexed."""
    return (
        f"coalesce((SELECT substr(group_concat({_fold('m.body')}, char(10)), 1, {INDEXED_CHARS}) "
        f"FROM (SELECT body FROM helpdesk_message WHERE ticket_id = {ticket} AND is_internal = {internal} "
        f"ORDER BY created_at, id) m), '')"
    )


def _appended(column: str, body: str) -> str:
    return (f"substr(CASE WHEN {column} = '' THEN {_fold(body)} "
            f"ELSE {column} || char(10) || {_fold(body)} END, 1, {INDEXED_CHARS})")


def _sqlite_reindex(ticket: str) -> str:
    """Statements indexing the ticket's thread again, from its messages."""
    return (
        f"UPDATE {FTS_TABLE} SET public = {_thread_text(ticket, 0)}, internal = {_thread_text(ticket, 1)} "
        f"WHERE rowid = {ticket};\n"
        f"DELETE FROM {CJK_TABLE} WHERE rowid = {ticket};\n"
        f"INSERT INTO {CJK_TABLE}(rowid, subject, public, internal) "
        f"SELECT rowid, subject, public, internal FROM {FTS_TABLE} "
        f"WHERE rowid = {ticket} AND (subject || ' ' || public || ' ' || internal) GLOB {_CJK_GLOB};\n"
    )


SQLITE_TABLES = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(subject, public, internal, "
    "tokenize = 'unicode61 remove_diacritics 2')",
    f"CREATE VIRTUAL TABLE {CJK_TABLE} USING fts5(subject, public, internal, tokenize = 'trigram')",
]

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER search_ticket_added AFTER INSERT ON helpdesk_ticket BEGIN
  INSERT OR REPLACE INTO {FTS_TABLE}(rowid, subject, public, internal)
    VALUES (new.id, {_fold('new.subject')}, '', '');
  INSERT OR REPLACE INTO {CJK_TABLE}(rowid, subject, public, internal)
    SELECT new.id, {_fold('new.subject')}, '', '' WHERE new.subject GLOB {_CJK_GLOB};
END""",
    f"""CREATE TRIGGER search_ticket_renamed AFTER UPDATE OF subject ON helpdesk_ticket
WHEN old.subject IS NOT new.subject BEGIN
  UPDATE {FTS_TABLE} SET subject = {_fold('new.subject')} WHERE rowid = new.id;
  {_sqlite_reindex('new.id')}
END""",
    f"""CREATE TRIGGER search_ticket_removed AFTER DELETE ON helpdesk_ticket BEGIN
  DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
  DELETE FROM {CJK_TABLE} WHERE rowid = old.id;
END""",
    # A new message is appended: the common write, and the one that must stay cheap.
    f"""CREATE TRIGGER search_message_added AFTER INSERT ON helpdesk_message BEGIN
  UPDATE {FTS_TABLE} SET
    public = CASE WHEN new.is_internal THEN public ELSE {_appended('public', 'new.body')} END,
    internal = CASE WHEN new.is_internal THEN {_appended('internal', 'new.body')} ELSE internal END
  WHERE rowid = new.ticket_id
    AND length(CASE WHEN new.is_internal THEN internal ELSE public END) < {INDEXED_CHARS};
  INSERT OR REPLACE INTO {CJK_TABLE}(rowid, subject, public, internal)
    SELECT rowid, subject, public, internal FROM {FTS_TABLE}
    WHERE rowid = new.ticket_id
      AND (new.body GLOB {_CJK_GLOB} OR EXISTS (SELECT 1 FROM {CJK_TABLE} WHERE rowid = new.ticket_id));
END""",
    # An edited, deleted or moved (merged) message: the tickets concerned are indexed again.
    f"""CREATE TRIGGER search_message_changed
AFTER UPDATE OF body, is_internal, ticket_id ON helpdesk_message
WHEN old.body IS NOT new.body OR old.is_internal IS NOT new.is_internal OR old.ticket_id IS NOT new.ticket_id
BEGIN
  {_sqlite_reindex('old.ticket_id')}
  {_sqlite_reindex('new.ticket_id')}
END""",
    f"""CREATE TRIGGER search_message_removed AFTER DELETE ON helpdesk_message BEGIN
  {_sqlite_reindex('old.ticket_id')}
END""",
]

SQLITE_TRIGGER_NAMES = [
    "search_ticket_added", "search_ticket_renamed", "search_ticket_removed",
    "search_message_added", "search_message_changed", "search_message_removed",
]


def _sqlite_all_threads(internal: int) -> str:
    return (
        f"SELECT ticket_id, substr(group_concat({_fold('body')}, char(10)), 1, {INDEXED_CHARS}) "
        f"AS text "
        f"FROM (SELECT ticket_id, body FROM helpdesk_message WHERE is_internal = {internal} "
        f"ORDER BY ticket_id, created_at, id) GROUP BY ticket_id"
    )


# Every ticket indexed anew: the tables made again (emptying an FTS5 table row by row costs as
# much as filling it), filled in one statement each.
SQLITE_REBUILD = [
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
    f"DROP TABLE IF EXISTS {CJK_TABLE}",
    *SQLITE_TABLES,
    f"INSERT INTO {FTS_TABLE}(rowid, subject, public, internal) "
    f"SELECT t.id, {_fold('t.subject')}, coalesce(p.text, ''), coalesce(i.text, '') FROM helpdesk_ticket t "
    f"LEFT JOIN ({_sqlite_all_threads(0)}) p ON p.ticket_id = t.id "
    f"LEFT JOIN ({_sqlite_all_threads(1)}) i ON i.ticket_id = t.id ORDER BY t.id",
    f"INSERT INTO {CJK_TABLE}(rowid, subject, public, internal) "
    f"SELECT rowid, subject, public, internal FROM {FTS_TABLE} "
    f"WHERE (subject || ' ' || public || ' ' || internal) GLOB {_CJK_GLOB}",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')",
]

SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
    f"DROP TABLE IF EXISTS {CJK_TABLE}",
]

# ---------------------------------------------------------------- PostgreSQL

_PG_VECTOR = "extdesk_search_vector"
_PG_REFRESH = "extdesk_search_refresh"

PG_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # Language-neutral: no stemming, no stop words (customers write in many languages), accents off.
    f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple)",
    f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR word, hword, hword_part "
    "WITH unaccent, simple",
    # The text as the parser is given it, for the index and for ts_headline alike: HTML's special
    # characters escaped (else the parser takes <words like these> for a tag and skips them),
    # final sigma as sigma (upper-case Σ lowers to σ), each character of a CJK run a word.
    f"""CREATE FUNCTION extdesk_search_text(body text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT regexp_replace(
  replace(replace(replace(replace(body, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), 'ς', 'σ'),
  '({CJK_CLASS})', '\\1{CJK_SEPARATOR}', 'g') $$""",
    f"""CREATE FUNCTION {_PG_VECTOR}(body text) RETURNS tsvector LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT to_tsvector('{PG_CONFIG}', extdesk_search_text(coalesce(body, ''))) $$""",
    f"""CREATE TABLE {PG_TABLE} (
  ticket_id bigint PRIMARY KEY,
  public_document tsvector NOT NULL,
  staff_document tsvector NOT NULL,
  public_chars integer NOT NULL DEFAULT 0,
  internal_chars integer NOT NULL DEFAULT 0
)""",
    f"CREATE INDEX search_document_public ON {PG_TABLE} USING gin (public_document)",
    f"CREATE INDEX search_document_staff ON {PG_TABLE} USING gin (staff_document)",
]


def _pg_documents(tickets: str, threads: str) -> str:
    """INSERT ... SELECT of the documents of ``tickets`` (a FROM item aliased t) with ``threads`` (m)."""
    return f"""INSERT INTO {PG_TABLE} AS d
  (ticket_id, public_document, staff_document, public_chars, internal_chars)
SELECT t.id, t.v || x.pub, t.v || x.pub || x.note, coalesce(length(m.pub), 0), coalesce(length(m.note), 0)
FROM (SELECT id, setweight({_PG_VECTOR}(subject), 'A') AS v FROM {tickets}) t
LEFT JOIN ({threads}) m ON m.ticket_id = t.id
CROSS JOIN LATERAL (SELECT {_PG_VECTOR}(m.pub) AS pub, {_PG_VECTOR}(m.note) AS note) x
ON CONFLICT (ticket_id) DO UPDATE SET public_document = EXCLUDED.public_document,
  staff_document = EXCLUDED.staff_document, public_chars = EXCLUDED.public_chars,
  internal_chars = EXCLUDED.internal_chars"""


def _pg_threads(source: str = "helpdesk_message", where: str = "") -> str:
    """Per ticket of the messages in ``source``: their public text (pub) and their notes' text (note)."""
    return (
        f"SELECT ticket_id, "
        f"left(string_agg(body, E'\\n' ORDER BY created_at, id) FILTER (WHERE NOT is_internal), "
        f"{INDEXED_CHARS}) "
        f"AS pub, "
        f"left(string_agg(body, E'\\n' ORDER BY created_at, id) FILTER (WHERE is_internal), {INDEXED_CHARS}) "
        f"AS note FROM {source} {where} GROUP BY ticket_id"
    )


PG_FUNCTIONS = [
    # The documents of these tickets made again from their subject and messages.
    f"""CREATE FUNCTION {_PG_REFRESH}(tickets bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(tickets) = 0 THEN RETURN; END IF;
  DELETE FROM {PG_TABLE} d WHERE d.ticket_id = ANY(tickets)
    AND NOT EXISTS (SELECT 1 FROM helpdesk_ticket t WHERE t.id = d.ticket_id);
  {_pg_documents("helpdesk_ticket WHERE id = ANY(tickets)",
                 _pg_threads(where="WHERE ticket_id = ANY(tickets)"))};
END $$""",
    f"""CREATE FUNCTION extdesk_search_tickets_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {PG_TABLE} AS d (ticket_id, public_document, staff_document)
  SELECT id, v, v FROM (SELECT id, setweight({_PG_VECTOR}(subject), 'A') AS v FROM added) a
  ON CONFLICT (ticket_id) DO UPDATE SET public_document = EXCLUDED.public_document,
    staff_document = EXCLUDED.staff_document, public_chars = 0, internal_chars = 0;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION extdesk_search_tickets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {_PG_REFRESH}(ARRAY(SELECT a.id FROM after a JOIN before b ON b.id = a.id
                              WHERE a.subject IS DISTINCT FROM b.subject));
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION extdesk_search_tickets_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM {PG_TABLE} WHERE ticket_id IN (SELECT id FROM removed);
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION extdesk_search_tickets_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE {PG_TABLE};
  RETURN NULL;
END $$""",
    # New messages are appended to their tickets' documents (one UPDATE per statement, however
    # many rows it inserted): the common write, and the one that must stay cheap.
    f"""CREATE FUNCTION extdesk_search_messages_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {PG_TABLE} d SET public_document = d.public_document || v.pub,
    staff_document = d.staff_document || v.pub || v.note,
    public_chars = d.public_chars + v.pub_chars, internal_chars = d.internal_chars + v.note_chars
  FROM (
    SELECT s.ticket_id, {_PG_VECTOR}(left(a.pub, greatest({INDEXED_CHARS} - s.public_chars, 0))) AS pub,
           {_PG_VECTOR}(left(a.note, greatest({INDEXED_CHARS} - s.internal_chars, 0))) AS note,
           coalesce(length(a.pub) + 1, 0) AS pub_chars, coalesce(length(a.note) + 1, 0) AS note_chars
    FROM ({_pg_threads("added")}) a
    JOIN {PG_TABLE} s ON s.ticket_id = a.ticket_id
  ) v
  WHERE d.ticket_id = v.ticket_id;
  RETURN NULL;
END $$""",
    # Edited, moved (merged) or deleted messages: their tickets' documents are made again.
    f"""CREATE FUNCTION extdesk_search_messages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {_PG_REFRESH}(ARRAY(
    SELECT DISTINCT x FROM before b JOIN after a ON a.id = b.id,
      LATERAL (VALUES (b.ticket_id), (a.ticket_id)) AS touched(x)
    WHERE a.body IS DISTINCT FROM b.body OR a.is_internal IS DISTINCT FROM b.is_internal
       OR a.ticket_id IS DISTINCT FROM b.ticket_id));
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION extdesk_search_messages_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM {_PG_REFRESH}(ARRAY(SELECT DISTINCT ticket_id FROM removed));
  RETURN NULL;
END $$""",
]

PG_TRIGGERS = [
    "CREATE TRIGGER search_tickets_added AFTER INSERT ON helpdesk_ticket REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_tickets_added()",
    "CREATE TRIGGER search_tickets_changed AFTER UPDATE ON helpdesk_ticket "
    "REFERENCING OLD TABLE AS before NEW TABLE AS after "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_tickets_changed()",
    "CREATE TRIGGER search_tickets_removed AFTER DELETE ON helpdesk_ticket REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_tickets_removed()",
    "CREATE TRIGGER search_tickets_truncated AFTER TRUNCATE ON helpdesk_ticket "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_tickets_truncated()",
    "CREATE TRIGGER search_messages_added AFTER INSERT ON helpdesk_message REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_messages_added()",
    "CREATE TRIGGER search_messages_changed AFTER UPDATE ON helpdesk_message "
    "REFERENCING OLD TABLE AS before NEW TABLE AS after "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_messages_changed()",
    "CREATE TRIGGER search_messages_removed AFTER DELETE ON helpdesk_message "
    "REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION extdesk_search_messages_removed()",
]

# Every ticket indexed anew: the indexes dropped while the table fills (building a GIN index
# once is many times faster than growing it row by row), then made again.
PG_REBUILD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "DROP INDEX IF EXISTS search_document_public",
    "DROP INDEX IF EXISTS search_document_staff",
    f"TRUNCATE {PG_TABLE}",
    _pg_documents("helpdesk_ticket", _pg_threads()),
    f"CREATE INDEX search_document_public ON {PG_TABLE} USING gin (public_document)",
    f"CREATE INDEX search_document_staff ON {PG_TABLE} USING gin (staff_document)",
    f"ANALYZE {PG_TABLE}",
]

PG_DROP = [
    "DROP TRIGGER IF EXISTS search_tickets_added ON helpdesk_ticket",
    "DROP TRIGGER IF EXISTS search_tickets_changed ON helpdesk_ticket",
    "DROP TRIGGER IF EXISTS search_tickets_removed ON helpdesk_ticket",
    "DROP TRIGGER IF EXISTS search_tickets_truncated ON helpdesk_ticket",
    "DROP TRIGGER IF EXISTS search_messages_added ON helpdesk_message",
    "DROP TRIGGER IF EXISTS search_messages_changed ON helpdesk_message",
    "DROP TRIGGER IF EXISTS search_messages_removed ON helpdesk_message",
    "DROP FUNCTION IF EXISTS extdesk_search_messages_removed()",
    "DROP FUNCTION IF EXISTS extdesk_search_messages_changed()",
    "DROP FUNCTION IF EXISTS extdesk_search_messages_added()",
    "DROP FUNCTION IF EXISTS extdesk_search_tickets_truncated()",
    "DROP FUNCTION IF EXISTS extdesk_search_tickets_removed()",
    "DROP FUNCTION IF EXISTS extdesk_search_tickets_changed()",
    "DROP FUNCTION IF EXISTS extdesk_search_tickets_added()",
    f"DROP FUNCTION IF EXISTS {_PG_REFRESH}(bigint[])",
    f"DROP TABLE IF EXISTS {PG_TABLE}",
    f"DROP FUNCTION IF EXISTS {_PG_VECTOR}(text)",
    "DROP FUNCTION IF EXISTS extdesk_search_text(text)",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}",
]
