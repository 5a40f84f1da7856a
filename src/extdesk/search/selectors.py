"""Reads of the search index: which tickets match a text, how well, and the snippet to show.

The callers (extdesk.helpdesk.selectors) bring the tickets a list may show as SQL (the desk's
filters, or what a customer may see) and the other ways a ticket matches (its number, subject,
contact's e-mail, account); this module joins them to the text matches and ranks them. Each
way of matching reads at most its newest COUNT_LIMIT (+ 1 to count) matches, so that a common
word costs about what a rare one does; only the page's rows get snippets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from . import schema, snippets
from .snippets import Snippet
from .terms import TRIGRAM, TextQuery, fold_greek, fts5_expression, like_pattern, parse, websearch_text

# Matches ranked and counted, at most, per way of matching: past it the lists say "1,000+"
# rather than rank and count every ticket a common word is in.
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
    table = schema.CJK_TABLE
    term = fold_greek(term)
    if len(term) >= TRIGRAM:
        phrase = '"' + term.replace('"', '""') + '"'
        return (f"{table}.rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)",
                ["{" + " ".join(columns) + "} : " + phrase])
    # The concatenation keeps FTS5 from taking the LIKE, which it cannot answer below three characters.
    tests = " OR ".join(f"({table}.{column} || '') LIKE %s ESCAPE '\\'" for column in columns)
    return f"({tests})", [like_pattern(term)] * len(columns)


def _occurrences(column: str, term: str) -> SqlParams:
    # SQLite's lower() folds ASCII letters only: the term is folded alike.
    folded = "".join(ch.lower() if ch.isascii() else ch for ch in fold_greek(term))
    return (f"(length({column}) - length(replace(lower({column}), %s, ''))) / {len(folded)}.0", [folded])


def _trigram_rank(query: TextQuery, staff: bool) -> SqlParams:
    """A match's rank among the tickets with CJK text: term frequency, subject weighted, length damped.

    bm25 over trigrams would rank substrings of three characters, not words; what counts here is
    how often the terms occur.
    """
    columns = [f"{schema.CJK_TABLE}.{column}" for column in _columns(staff)]
    params: list = []
    scores: list[str] = []
    for term in query.terms:
        for column in columns:
            sql, term_params = _occurrences(column, term)
            scores.append(f"{SUBJECT_WEIGHT} * {sql}" if column.endswith(".subject") else sql)
            params.extend(term_params)
    length = " + ".join(f"length({column})" for column in columns if not column.endswith(".subject"))
    return f"({' + '.join(scores)}) / (1.0 + ({length}) / 2000.0)", params


def _trigram_test(query: TextQuery, staff: bool) -> SqlParams:
    """The condition on the trigram table's row that ``query`` matches."""
    columns = _columns(staff)
    params: list = []
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
    return " OR ".join(alternatives), params


def _document(staff: bool) -> str:
    return "staff_document" if staff else "public_document"


def matching_ids(query: TextQuery, *, staff: bool) -> SqlParams:
    """``SELECT ticket_id`` of every ticket whose text matches, for ``id IN (...)``.

    ``staff`` searches internal notes too; a customer's search reads subjects and public messages.
    """
    if connection.vendor == "postgresql":
        return (f"SELECT d.ticket_id FROM {schema.PG_TABLE} d "
                f"WHERE d.{_document(staff)} @@ websearch_to_tsquery('{schema.PG_CONFIG}', %s)",
                [websearch_text(query)])
    if query.has_cjk:
        test, params = _trigram_test(query, staff)
        return f"SELECT {schema.CJK_TABLE}.rowid AS ticket_id FROM {schema.CJK_TABLE} WHERE {test}", params
    table = schema.FTS_TABLE
    return (f"SELECT rowid AS ticket_id FROM {table} WHERE {table} MATCH %s",
            [fts5_expression(query, None if staff else _columns(staff))])


def _text_part(candidates: SqlParams, columns: str, query: TextQuery, staff: bool, limit: int,
               ranked: bool = True) -> SqlParams:
    """``SELECT <columns of c>, rank``: the ``limit`` candidates with the highest numbers whose text
    matches, with their rank (a higher rank is a better match; 0 unless ``ranked``).

    Newest first, so that a common word stops after ``limit`` rows read in number order instead
    of ranking every ticket it is in; a rare one is found through the index and sorted.
    A customer's candidates (the tickets they may see) are few: read first, then their documents.
    """
    cand_sql, cand_params = candidates
    if connection.vendor == "postgresql":
        document, config, table = _document(staff), schema.PG_CONFIG, schema.PG_TABLE
        matching = f"{document} @@ websearch_to_tsquery('{config}', %s)"
        text = websearch_text(query)
        # PostgreSQL cannot tell a rare word from a common one it has no statistics for: it is
        # asked which it is (counting up to ``limit`` matches, through the index), and only the
        # branch for that answer runs (a one-time filter). Few: their ids, then those tickets.
        # Many: the newest tickets read in number order until ``limit`` match.
        gate = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} g WHERE g.{matching} LIMIT {limit}) n)"
        few = (f"SELECT {columns} FROM ({cand_sql}) c "
               f"WHERE c.id = ANY(ARRAY(SELECT d.ticket_id FROM {table} d WHERE d.{matching})) "
               f"ORDER BY c.id DESC LIMIT {limit}")
        # ``c.id + 0``: a customer's tickets are read through their own indexes and sorted, not
        # found by walking every ticket in number order.
        order = "c.id DESC" if staff else "c.id + 0 DESC"
        many = (f"SELECT {columns} FROM ({cand_sql}) c JOIN {table} d ON d.ticket_id = c.id "
                f"WHERE d.{matching} ORDER BY {order} LIMIT {limit}")
        inner = (f"SELECT * FROM ({few}) f WHERE {gate} < {limit} "
                 f"UNION ALL SELECT * FROM ({many}) m WHERE {gate} >= {limit}")
        inner_params = [*cand_params, text, text, *cand_params, text, text]
        if not ranked:
            return f"SELECT x.*, 0.0 AS rank FROM ({inner}) x", inner_params
        # Ranked outside the LIMIT: ts_rank reads the whole document, only for the rows kept.
        return (f"SELECT x.*, ts_rank(d.{document}, websearch_to_tsquery('{config}', %s), 1) AS rank "
                f"FROM ({inner}) x JOIN {table} d ON d.ticket_id = x.id",
                [text, *inner_params])
    if query.has_cjk:
        table = schema.CJK_TABLE
        rank, rank_params = _trigram_rank(query, staff) if ranked else ("0.0", [])
        test, test_params = _trigram_test(query, staff)
        return (f"SELECT {columns}, {rank} AS rank FROM {table} JOIN ({cand_sql}) c ON c.id = {table}.rowid "
                f"WHERE {test} ORDER BY {table}.rowid DESC LIMIT {limit}",
                [*rank_params, *cand_params, *test_params])
    table = schema.FTS_TABLE
    weights = ", ".join([str(SUBJECT_WEIGHT), "1.0", "1.0"])
    rank = f"-bm25({table}, {weights})" if ranked else "0.0"
    return (f"SELECT {columns}, {rank} AS rank FROM {table} "
            f"JOIN ({cand_sql}) c ON c.id = {table}.rowid WHERE {table} MATCH %s "
            f"ORDER BY {table}.rowid DESC LIMIT {limit}",
            [*cand_params, fts5_expression(query, None if staff else _columns(staff))])


def _parts(candidates: SqlParams, query: TextQuery, staff: bool, others: Iterable[tuple[SqlParams, float]],
           columns: str, limit: int, ranked: bool = True) -> SqlParams:
    """The text part and one part per other way of matching, each of at most ``limit`` rows, as
    ``UNION ALL`` (a ticket may be in several, with different ranks)."""
    text_sql, params = _text_part(candidates, columns, query, staff, limit, ranked)
    parts, all_params = [f"SELECT * FROM ({text_sql}) t"], list(params)
    for n, ((other_sql, other_params), rank) in enumerate(others):
        parts.append(f"SELECT * FROM (SELECT {columns}, {float(rank)} AS rank FROM ({other_sql}) c "
                     f"ORDER BY c.id DESC LIMIT {limit}) o{n}")
        all_params.extend(other_params)
    return " UNION ALL ".join(parts), all_params


# Among equally good matches: the newest activity first.
NEWEST_FIRST = ("last_activity_at DESC", "id DESC")


def ranked_page(candidates: SqlParams, query: TextQuery, *, staff: bool,
                others: Iterable[tuple[SqlParams, float]] = (), offset: int, limit: int,
                ties: Sequence[str] = NEWEST_FIRST) -> list[tuple[int, Snippet | None]]:
    """A page of the ``candidates`` that match, best first, each with its snippet (notes' too for
    ``staff``). One query.

    ``candidates`` and ``others`` (the candidates matching another way, and the rank that gives)
    select ``id`` and the columns of ``ties`` (``column ASC|DESC [NULLS LAST]``, the order among
    equal ranks). The newest COUNT_LIMIT matches of each way are ranked: the pages of a common
    word's thousands of matches rank the newest thousand. Tickets matched by their subject alone
    have no snippet: the subject is shown.
    """
    names = list(dict.fromkeys(["id", *(tie.split()[0] for tie in ties)]))
    union, union_params = _parts(candidates, query, staff, others,
                                 ", ".join(f"c.{name}" for name in names), COUNT_LIMIT)
    grouped = ", ".join(f"h.{name}" for name in names)
    page = (f"SELECT {grouped}, MAX(h.rank) AS rank FROM ({union}) h GROUP BY {grouped} "
            f"ORDER BY MAX(h.rank) DESC, {', '.join(f'h.{tie}' for tie in ties)} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}")
    page_params = union_params
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


def count_matches(candidates: SqlParams, others: Sequence[SqlParams], query: TextQuery, *,
                  staff: bool, by: str = "") -> dict[str, int]:
    """How many ``candidates`` match (``others``: the candidates matching another way), per value of
    their column ``by`` (else under the key ""). One query.

    Each way of matching reads at most COUNT_LIMIT + 1 matches, newest first: a total above
    COUNT_LIMIT is a lower bound ("1,000+"), and so is each count beside it. ``candidates`` and
    ``others`` select ``id`` and ``by``.
    """
    columns = f"c.id, c.{by}" if by else "c.id"
    union, params = _parts(candidates, query, staff, [(other, 0.0) for other in others], columns,
                           COUNT_LIMIT + 1, ranked=False)
    grouped = f"h.{by}, COUNT(DISTINCT h.id) FROM ({union}) h GROUP BY h.{by}" if by else \
        f"'', COUNT(DISTINCT h.id) FROM ({union}) h"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {grouped}", params)
        return dict(cursor.fetchall())


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
