"""Reads of the search index: which tickets match a text, how well, and the snippet to show.

The callers (extdesk.helpdesk.selectors) bring the tickets a list may show as SQL (the desk's
filters, or what a customer may see) and the other ways a ticket matches (its number, subject,
contact's e-mail, account); this module joins them to the text matches and ranks them. Only the
page's rows are ranked in full order and given snippets; counts stop at COUNT_LIMIT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from . import schema, snippets
from .snippets import Snippet
from .terms import TRIGRAM, TextQuery, fold_greek, fts5_expression, like_pattern, parse, websearch_text

# A count of matches stops here: the list says "1,000+" rather than count every ticket a common
# word is in.
COUNT_LIMIT = 1000
# The rank of a ticket whose customer the search names (their e-mail, their account): above any
# text match's.
CUSTOMER_NAMED_RANK = 1e6
# Subject matches weigh this many times a body match.
SUBJECT_WEIGHT = 4.0
# ts_headline: a fragment of about this many words around the best match.
_HEADLINE = (f'StartSel="{schema.MARK_START}", StopSel="{schema.MARK_END}", MaxWords=24, MinWords=10, '
             'ShortWord=1, MaxFragments=1, FragmentDelimiter=" … "')

# An SQL text and its parameters.
SqlParams = tuple[str, Sequence]


def text_query(text: str) -> TextQuery | None:
    """The full-text part of a search box's text, None when it has none."""
    return parse(text)


def _columns(staff: bool) -> tuple[str, ...]:
    return ("subject", "public", "internal") if staff else ("subject", "public")


def _trigram_term(term: str, columns: tuple[str, ...]) -> SqlParams:
    """Tickets with ``term`` in one of ``columns`` of the trigram table: by index, or LIKE when short."""
    term = fold_greek(term)
    if len(term) >= TRIGRAM:
        phrase = '"' + term.replace('"', '""') + '"'
        return (f"rowid IN (SELECT rowid FROM {schema.CJK_TABLE} WHERE {schema.CJK_TABLE} MATCH %s)",
                ["{" + " ".join(columns) + "} : " + phrase])
    # The concatenation keeps FTS5 from taking the LIKE, which it cannot answer below three characters.
    tests = " OR ".join(f"({column} || '') LIKE %s ESCAPE '\\'" for column in columns)
    return f"({tests})", [like_pattern(term)] * len(columns)


def _occurrences(column: str, term: str) -> SqlParams:
    # SQLite's lower() folds ASCII letters only: the term is folded alike.
    folded = "".join(ch.lower() if ch.isascii() else ch for ch in fold_greek(term))
    return (f"(length({column}) - length(replace(lower({column}), %s, ''))) / {len(folded)}.0", [folded])


def _sqlite_trigram_matches(query: TextQuery, staff: bool) -> SqlParams:
    """Matches among the tickets with CJK text, ranked by term frequency (subject weighted, length damped).

    bm25 over trigrams would rank substrings of three characters, not words; what counts here is
    how often the terms occur.
    """
    columns = _columns(staff)
    params: list = []
    scores: list[str] = []
    for term in query.terms:
        for column in columns:
            sql, term_params = _occurrences(column, term)
            scores.append(f"{SUBJECT_WEIGHT} * {sql}" if column == "subject" else sql)
            params.extend(term_params)
    length = " + ".join(f"length({column})" for column in columns if column != "subject")
    rank = f"({' + '.join(scores)}) / (1.0 + ({length}) / 2000.0)"
    alternatives: list[str] = []
    for group in query.groups:
        tests: list[str] = []
        for term in group.wanted:
            sql, term_params = _trigram_term(term, columns)
            tests.append(sql)
            params.extend(term_params)
        for term in group.unwanted:
            sql, term_params = _trigram_term(term, columns)
            tests.append(f"NOT {sql}")
            params.extend(term_params)
        alternatives.append("(" + " AND ".join(tests) + ")")
    return (f"SELECT rowid AS ticket_id, {rank} AS rank FROM {schema.CJK_TABLE} "
            f"WHERE {' OR '.join(alternatives)}", params)


def matches(query: TextQuery, *, staff: bool) -> SqlParams:
    """``SELECT ticket_id, rank``: the tickets whose text matches, a higher rank a better match.

    ``staff`` searches internal notes too; a customer's search reads subjects and public messages.
    """
    if connection.vendor == "postgresql":
        document = "staff_document" if staff else "public_document"
        return (f"SELECT d.ticket_id, ts_rank(d.{document}, q.query, 1) AS rank FROM {schema.PG_TABLE} d, "
                f"websearch_to_tsquery('{schema.PG_CONFIG}', %s) AS q(query) WHERE d.{document} @@ q.query",
                [websearch_text(query)])
    if query.has_cjk:
        return _sqlite_trigram_matches(query, staff)
    table = schema.FTS_TABLE
    weights = ", ".join([str(SUBJECT_WEIGHT), "1.0", "1.0"])
    return (f"SELECT rowid AS ticket_id, -bm25({table}, {weights}) AS rank FROM {table} "
            f"WHERE {table} MATCH %s",
            [fts5_expression(query, None if staff else _columns(staff))])


def matching_ids(query: TextQuery, *, staff: bool) -> SqlParams:
    """``SELECT ticket_id`` of the matches, for ``id IN (...)``."""
    sql, params = matches(query, staff=staff)
    return f"SELECT m.ticket_id FROM ({sql}) m", params


def _hits(query: TextQuery, staff: bool, others: Iterable[tuple[SqlParams, float]]) -> SqlParams:
    """Per matching ticket its best rank: the text's, or that given to another way of matching."""
    sql, params = matches(query, staff=staff)
    parts, all_params = [sql], list(params)
    for (other_sql, other_params), rank in others:
        parts.append(f"SELECT o.id AS ticket_id, {float(rank)} AS rank FROM ({other_sql}) o")
        all_params.extend(other_params)
    union = " UNION ALL ".join(parts)
    return f"SELECT h.ticket_id, MAX(h.rank) AS rank FROM ({union}) h GROUP BY h.ticket_id", all_params


# Among equally good matches: the newest activity first.
NEWEST_FIRST = ("last_activity_at DESC", "id DESC")


def ranked_page(candidates: SqlParams, query: TextQuery, *, staff: bool,
                others: Iterable[tuple[SqlParams, float]] = (), offset: int, limit: int,
                ties: Sequence[str] = NEWEST_FIRST) -> list[tuple[int, Snippet | None]]:
    """A page of the ``candidates`` that match: best first, each with its snippet (notes' too for
    ``staff``). One query.

    ``candidates`` selects ``id`` and the columns of ``ties`` (``column ASC|DESC [NULLS LAST]``,
    the order among equal ranks). ``others``: (``SELECT id`` of tickets matching another way, the
    rank they get). Tickets matched by their subject alone have no snippet: the subject is shown.
    """
    hits, hit_params = _hits(query, staff, others)
    columns = ", ".join(f"c.{column}" for column in dict.fromkeys(["id", *(tie.split()[0] for tie in ties)]))
    page = (f"SELECT {columns}, r.rank FROM ({candidates[0]}) c "
            f"JOIN ({hits}) r ON r.ticket_id = c.id "
            f"ORDER BY r.rank DESC, {', '.join(f'c.{tie}' for tie in ties)} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}")
    page_params = [*candidates[1], *hit_params]
    order = f"ORDER BY p.rank DESC, {', '.join(f'p.{tie}' for tie in ties)}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            def headline(text: str) -> str:
                return f"ts_headline('{schema.PG_CONFIG}', extdesk_search_text({text}), q.query, %s)"

            cursor.execute(
                f"SELECT p.id, {headline('t.pub')}, {headline('t.note' if staff else 'NULL')} "
                f"FROM ({page}) p "
                f"LEFT JOIN LATERAL ({_thread_of('p.id')}) t ON true, "
                f"websearch_to_tsquery('{schema.PG_CONFIG}', %s) AS q(query) {order}",
                [_HEADLINE, _HEADLINE, *page_params, websearch_text(query)])
            rows = [(n, _from_pg(public), _from_pg(internal)) for n, public, internal in cursor.fetchall()]
        elif query.has_cjk:
            note = f"(SELECT internal FROM {schema.CJK_TABLE} WHERE rowid = p.id)" if staff else "NULL"
            cursor.execute(f"SELECT p.id, (SELECT public FROM {schema.CJK_TABLE} WHERE rowid = p.id), {note} "
                           f"FROM ({page}) p {order}", page_params)
            terms = tuple(fold_greek(term) for term in query.terms)
            rows = [(n, snippets.cut_around(public or "", terms), snippets.cut_around(internal or "", terms))
                    for n, public, internal in cursor.fetchall()]
        else:
            table = schema.FTS_TABLE
            expression = fts5_expression(query, None if staff else _columns(staff))

            def passage(column: int) -> str:
                return (f"(SELECT snippet({table}, {column}, '{schema.MARK_START}', '{schema.MARK_END}', "
                        f"'…', 16) FROM {table} WHERE {table} MATCH %s AND rowid = p.id)")

            note = passage(2) if staff else "NULL"
            cursor.execute(f"SELECT p.id, {passage(1)}, {note} FROM ({page}) p {order}",
                           [expression, *([expression] if staff else []), *page_params])
            rows = cursor.fetchall()
    return [(number, _pick(public, internal if staff else None)) for number, public, internal in rows]


def count_matches(candidates: SqlParams, query: TextQuery, *, staff: bool,
                  others: Iterable[tuple[SqlParams, float]] = (), limit: int = COUNT_LIMIT) -> int:
    """How many of ``candidates`` match, counted up to ``limit`` + 1 (more than ``limit``: "limit+")."""
    sql, params = matches(query, staff=staff)
    parts, hit_params = [f"SELECT m.ticket_id FROM ({sql}) m"], list(params)
    for other_sql, other_params in (other for other, _rank in others):
        parts.append(f"SELECT o.id FROM ({other_sql}) o")
        hit_params.extend(other_params)
    union = " UNION ".join(parts)
    counted = (f"SELECT COUNT(*) FROM (SELECT 1 FROM ({candidates[0]}) c "
               f"WHERE c.id IN ({union}) LIMIT {int(limit) + 1}) n")
    with connection.cursor() as cursor:
        cursor.execute(counted, [*candidates[1], *hit_params])
        return cursor.fetchone()[0]


def _pick(public: str | None, internal: str | None) -> Snippet | None:
    """The public passage when it holds a match, else the internal one's."""
    if snippets.has_match(public):
        return Snippet(snippets.render(public or ""))
    if snippets.has_match(internal):
        return Snippet(snippets.render(internal or ""), internal=True)
    return None


def _from_pg(headline: str | None) -> str | None:
    return snippets.from_postgresql(headline) if headline is not None else None


def _thread_of(ticket: str) -> str:
    """The ticket's public messages' text (pub) and its notes' text (note), as indexed."""
    limit = schema.INDEXED_CHARS
    ordered = "string_agg(m.body, E'\\n' ORDER BY m.created_at, m.id)"
    return (f"SELECT left({ordered} FILTER (WHERE NOT m.is_internal), {limit}) AS pub, "
            f"left({ordered} FILTER (WHERE m.is_internal), {limit}) AS note "
            f"FROM helpdesk_message m WHERE m.ticket_id = {ticket}")
