"""The articles' full-text index, in each database's own SQL, beside the tickets' (extdesk.search).

The same machinery as ticket search: SQLite FTS5 with ``unicode61 remove_diacritics 2``;
PostgreSQL a tsvector per article in the ``extdesk_search`` configuration (``simple`` with
``unaccent``, made by the search app's migration) with a GIN index. What is indexed is the
title and the article's text without its Markdown (``Article.plain_body``, written by the
services with the body); the database's triggers keep the index current in the transaction
that writes the article, whoever writes it.
"""

from __future__ import annotations

FTS_TABLE = "kb_article_text"
PG_TABLE = "kb_article_document"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')",
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) SELECT id, title, plain_body FROM kb_article",
    f"""CREATE TRIGGER kb_article_added AFTER INSERT ON kb_article BEGIN
  INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.plain_body);
END""",
    f"""CREATE TRIGGER kb_article_changed AFTER UPDATE OF title, plain_body ON kb_article
WHEN old.title IS NOT new.title OR old.plain_body IS NOT new.plain_body BEGIN
  UPDATE {FTS_TABLE} SET title = new.title, body = new.plain_body WHERE rowid = new.id;
END""",
    f"""CREATE TRIGGER kb_article_removed AFTER DELETE ON kb_article BEGIN
  DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
END""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS kb_article_added",
    "DROP TRIGGER IF EXISTS kb_article_changed",
    "DROP TRIGGER IF EXISTS kb_article_removed",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]

# The title weighs more than the text (A against B in ts_rank).
_PG_DOCUMENT = ("setweight(extdesk_search_vector({title}), 'A') || "
                "setweight(extdesk_search_vector({body}), 'B')")

PG_CREATE = [
    f"CREATE TABLE {PG_TABLE} (article_id bigint PRIMARY KEY, document tsvector NOT NULL)",
    f"CREATE INDEX kb_article_document_gin ON {PG_TABLE} USING gin (document)",
    f"INSERT INTO {PG_TABLE} (article_id, document) "
    f"SELECT id, {_PG_DOCUMENT.format(title='title', body='plain_body')} FROM kb_article",
    f"""CREATE FUNCTION kb_article_indexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {PG_TABLE} (article_id, document)
  VALUES (NEW.id, {_PG_DOCUMENT.format(title='NEW.title', body='NEW.plain_body')})
  ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION kb_article_unindexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM {PG_TABLE} WHERE article_id = OLD.id;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION kb_articles_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE {PG_TABLE};
  RETURN NULL;
END $$""",
    "CREATE TRIGGER kb_article_added AFTER INSERT ON kb_article "
    "FOR EACH ROW EXECUTE FUNCTION kb_article_indexed()",
    "CREATE TRIGGER kb_article_changed AFTER UPDATE OF title, plain_body ON kb_article FOR EACH ROW "
    "WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.plain_body IS DISTINCT FROM NEW.plain_body) "
    "EXECUTE FUNCTION kb_article_indexed()",
    "CREATE TRIGGER kb_article_removed AFTER DELETE ON kb_article "
    "FOR EACH ROW EXECUTE FUNCTION kb_article_unindexed()",
    "CREATE TRIGGER kb_articles_truncated AFTER TRUNCATE ON kb_article "
    "FOR EACH STATEMENT EXECUTE FUNCTION kb_articles_truncated()",
]

# The second version of PostgreSQL's index (migration kb 0006), made for a word found in nearly
# every article, which is ranked in every one:
# - an article's tsvector (a few KiB) would be moved out of line to the TOAST table, and each
#   would be fetched from there: it is kept in the row instead, up to a page's size (longer ones
#   still go out of line);
# - who may read the article (state, visibility, language) is copied beside its document, so
#   the ranking reads this table alone instead of looking up 20,000 articles.
_PG_INDEX_ARTICLE = f"""CREATE OR REPLACE FUNCTION kb_article_indexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {PG_TABLE} (article_id, document, state, visibility, language)
  VALUES (NEW.id, {_PG_DOCUMENT.format(title='NEW.title', body='NEW.plain_body')},
          NEW.state, NEW.visibility, NEW.language)
  ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document, state = EXCLUDED.state,
    visibility = EXCLUDED.visibility, language = EXCLUDED.language;
  RETURN NULL;
END $$"""

PG_READY_FOR_COMMON_WORDS = [
    f"ALTER TABLE {PG_TABLE} SET (toast_tuple_target = 8160)",
    f"ALTER TABLE {PG_TABLE} ALTER COLUMN document SET STORAGE MAIN",
    f"ALTER TABLE {PG_TABLE} ADD COLUMN state varchar(10) NOT NULL DEFAULT '', "
    "ADD COLUMN visibility varchar(10) NOT NULL DEFAULT '', "
    "ADD COLUMN language varchar(5) NOT NULL DEFAULT ''",
    _PG_INDEX_ARTICLE,
    f"""CREATE FUNCTION kb_article_refiltered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {PG_TABLE} SET state = NEW.state, visibility = NEW.visibility, language = NEW.language
  WHERE article_id = NEW.id;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER kb_article_refiltered AFTER UPDATE OF state, visibility, language ON kb_article "
    "FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state "
    "OR OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.language IS DISTINCT FROM NEW.language) "
    "EXECUTE FUNCTION kb_article_refiltered()",
    # Rewriting every row also brings in the documents already moved out of line.
    f"UPDATE {PG_TABLE} d SET document = {_PG_DOCUMENT.format(title='a.title', body='a.plain_body')}, "
    "state = a.state, visibility = a.visibility, language = a.language "
    "FROM kb_article a WHERE a.id = d.article_id",
]

PG_BACK_TO_THE_FIRST_INDEX = [
    "DROP TRIGGER IF EXISTS kb_article_refiltered ON kb_article",
    "DROP FUNCTION IF EXISTS kb_article_refiltered()",
    next(statement for statement in PG_CREATE if "FUNCTION kb_article_indexed()" in statement)
    .replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"),
    f"ALTER TABLE {PG_TABLE} DROP COLUMN state, DROP COLUMN visibility, DROP COLUMN language",
    f"ALTER TABLE {PG_TABLE} RESET (toast_tuple_target)",
    f"ALTER TABLE {PG_TABLE} ALTER COLUMN document SET STORAGE EXTENDED",
]

PG_DROP = [
    "DROP TRIGGER IF EXISTS kb_article_refiltered ON kb_article",
    "DROP FUNCTION IF EXISTS kb_article_refiltered()",
    "DROP TRIGGER IF EXISTS kb_article_added ON kb_article",
    "DROP TRIGGER IF EXISTS kb_article_changed ON kb_article",
    "DROP TRIGGER IF EXISTS kb_article_removed ON kb_article",
    "DROP TRIGGER IF EXISTS kb_articles_truncated ON kb_article",
    "DROP FUNCTION IF EXISTS kb_articles_truncated()",
    "DROP FUNCTION IF EXISTS kb_article_unindexed()",
    "DROP FUNCTION IF EXISTS kb_article_indexed()",
    f"DROP TABLE IF EXISTS {PG_TABLE}",
]
