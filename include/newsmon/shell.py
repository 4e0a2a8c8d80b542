"""`newsmon shell`: a read-only SQL terminal on the analyst database, with its views and macros.

Why not harlequin: it does work here (harlequin 2.17 opens a DuckDB 2.0 file read-only and runs the macros, tried
in a pseudo-terminal), but it pins click==8.5.0 exactly, so taking it means holding click below the 8.5.1 the tree
is frozen with (Airflow and Celery accept either), and it brings about 30 packages (Textual, 15 tree-sitter grammars,
~38 MB) for one command. And why not the `duckdb` command line: the registry's duckdb-cli (1.5.6) cannot open a
DuckDB 2.0 file. So the shell is built on prompt_toolkit (a well-kept line
editor, already installed with Airflow) with Pygments' SQL highlighting: line editing, history (Up/Down, Ctrl-R),
completion of table, view, macro and column names, statements ending at `;`, and the same one-line errors and
tables as `newsmon query`. The session is sandboxed: the file is opened read-only and no other file can be read
or written from SQL.

Dot commands: `.tables` (tables, views and macros), `.schema NAME` (its columns), `.wide` (toggle whole cells),
`.help`, `.quit`. With stdin not a terminal, statements are read from it and run one after the other.
"""

from __future__ import annotations

import sys

from newsmon.reader import ReaderError, open_analyst, run_sql

PROMPT = "newsmon> "
MORE = "     ...> "
HELP = (
    "SQL ends with ';'. Views and macros: docs/analysts.md (e.g. SELECT * FROM spikes LIMIT 5;).\n"
    ".tables  list tables, views and macros    .schema NAME  columns of a table or view\n"
    ".wide    toggle whole cells               .quit         leave (or Ctrl-D)"
)


def names(con) -> dict[str, list[str]]:
    """Tables, views and macros of the analyst database, for `.tables` and completion."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    views = [
        r[0]
        for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()
    ]
    macros = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type LIKE '%macro%' "
            "AND NOT internal ORDER BY 1"
        ).fetchall()
    ]
    columns = [
        r[0] for r in con.execute("SELECT DISTINCT column_name FROM duckdb_columns() ORDER BY 1").fetchall()
    ]
    return {"tables": tables, "views": views, "macros": macros, "columns": columns}


class Session:
    """One read-only connection and the state of the shell (whole cells or not)."""

    def __init__(self, con):
        self.con = con
        self.wide = False

    def run(self, text: str) -> str:
        """The answer to one statement or dot command, as text (errors as one line starting 'error:')."""
        from newsmon.aggregates import CELL_WIDTH, format_table

        text = text.strip()
        try:
            if text.startswith("."):
                return self.dot(text)
            columns, rows = run_sql(self.con, text)
        except ReaderError as exc:
            return f"error: {exc}"
        if not columns:
            return "ok"
        return format_table(columns, rows, cell_width=None if self.wide else CELL_WIDTH)

    def dot(self, text: str) -> str:
        command, _, arg = text.partition(" ")
        if command == ".tables":
            n = names(self.con)
            return "\n".join(f"{kind}: {', '.join(n[kind])}" for kind in ("tables", "views", "macros"))
        if command == ".schema":
            if not arg.strip():
                return "error: .schema needs a table or view name"
            rows = self.con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                [arg.strip()],
            ).fetchall()
            return (
                "\n".join(f"{c}  {t}" for c, t in rows)
                if rows
                else f"error: no table or view {arg.strip()!r}"
            )
        if command == ".wide":
            self.wide = not self.wide
            return f"whole cells {'on' if self.wide else 'off'}"
        if command == ".help":
            return HELP
        return f"error: unknown command {command}; .help lists them"


def statements(lines) -> list[str]:
    """Split piped input into statements at ';' line ends (and dot commands, one a line)."""
    out, buf = [], []
    for line in lines:
        if not buf and line.strip().startswith("."):
            out.append(line.strip())
            continue
        buf.append(line.rstrip("\n"))
        if line.rstrip().endswith(";"):
            out.append("\n".join(buf))
            buf = []
    if any(b.strip() for b in buf):
        out.append("\n".join(buf))
    return out


def interactive(session: Session) -> int:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.sql import SqlLexer

    n = names(session.con)
    words = n["tables"] + n["views"] + n["macros"] + n["columns"] + [".tables", ".schema", ".wide", ".quit"]
    prompt = PromptSession(
        history=InMemoryHistory(),
        lexer=PygmentsLexer(SqlLexer),
        completer=WordCompleter(words, ignore_case=True),
        prompt_continuation=MORE,
    )
    print(f"newsmon shell (read-only). {HELP.splitlines()[0]} .help for more.")
    buf: list[str] = []
    while True:
        try:
            line = prompt.prompt(MORE if buf else PROMPT)
        except KeyboardInterrupt:
            buf = []
            continue
        except EOFError:
            return 0
        if not buf and line.strip() in (".quit", ".exit", "quit", "exit"):
            return 0
        if not buf and line.strip().startswith("."):
            print(session.run(line))
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            print(session.run("\n".join(buf)))
            buf = []


def cli_shell(args) -> int:
    from newsmon.config import paths

    con = open_analyst(paths().analyst_db, sandboxed=True)
    try:
        session = Session(con)
        if sys.stdin.isatty() and sys.stdout.isatty():
            return interactive(session)
        failed = False
        for statement in statements(sys.stdin):
            answer = session.run(statement)
            failed |= answer.startswith("error:")
            print(answer)
        return 1 if failed else 0
    finally:
        con.close()
