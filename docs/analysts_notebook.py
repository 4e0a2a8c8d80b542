"""The worked examples of docs/analysts.md as a marimo notebook, with charts.

    .venv/bin/marimo edit docs/analysts_notebook.py      # in a browser, cells re-run as you change them
    .venv/bin/marimo export html docs/analysts_notebook.py -o analysts.html   # a page with every result
    .venv/bin/python docs/analysts_notebook.py            # as a plain script (charts written if asked, below)

It opens $NEWSMON_DATA_DIR/newsmon.duckdb (default data/newsmon.duckdb) read-only. The queries are read from the
"Worked examples" section of docs/analysts.md itself, so the notebook runs exactly the SQL the doc shows and
cannot drift from it. Set NEWSMON_NOTEBOOK_CHARTS=FOLDER to also write the charts there as PNG.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import os
    import re
    from pathlib import Path

    import duckdb
    import marimo as mo
    import matplotlib

    matplotlib.use("Agg")  # no display needed: marimo shows the figures, the script writes them
    import matplotlib.pyplot as plt

    return Path, duckdb, mo, os, plt, re


@app.cell
def _(Path, duckdb, os):
    data_dir = Path(os.environ.get("NEWSMON_DATA_DIR") or Path(__file__).resolve().parents[1] / "data")
    db_file = data_dir / "newsmon.duckdb"
    # The published file is read-only: open it so, never otherwise.
    con = duckdb.connect(str(db_file), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con, db_file


@app.cell
def _(Path, re):
    def worked_examples(doc: Path) -> list[tuple[str, str]]:
        """(caption, sql) for each ```sql block of the doc's "Worked examples" section, in order."""
        text = doc.read_text(encoding="utf-8")
        section = text.split("## Worked examples", 1)[1].split("\n## ", 1)[0]
        found = re.findall(r"([^\n]+)\n\n```sql\n(.*?)```", section, flags=re.S)
        return [(caption.strip().rstrip(":"), sql.strip()) for caption, sql in found]

    examples = worked_examples(Path(__file__).resolve().parent / "analysts.md")
    return (examples,)


@app.cell
def _(con, db_file, examples, mo):
    def run(sql: str) -> tuple[list[str], list[tuple]]:
        """Columns and rows of the last statement (the examples set variables first, then select)."""
        statements = [s for s in sql.split(";\n") if s.strip()]
        for statement in statements[:-1]:
            con.execute(statement)
        cursor = con.execute(statements[-1])
        return [d[0] for d in cursor.description], cursor.fetchall()

    results = {caption: run(sql) for caption, sql in examples}
    summary = mo.md(
        f"**{db_file}**: {len(examples)} worked examples of docs/analysts.md, "
        f"{sum(1 for _, rows in results.values() if rows)} with rows."
    )
    summary  # noqa: B018 (marimo shows a cell's last expression)
    return (results,)


@app.cell
def _(examples, mo, results):
    def as_table(columns: list[str], rows: list[tuple]):
        return mo.ui.table(
            [dict(zip(columns, map(str, row), strict=True)) for row in rows[:50]], selection=None
        )

    mo.accordion(
        {
            f"{caption} ({len(results[caption][1])} rows)": mo.vstack(
                [mo.md(f"```sql\n{sql}\n```"), as_table(*results[caption])]
            )
            for caption, sql in examples
        }
    )
    return


@app.cell
def _(plt, results):
    def rows_of(caption_start: str) -> tuple[list[str], list[tuple]]:
        """The result of the example whose caption starts so (the captions are the doc's sentences)."""
        return next(v for k, v in results.items() if k.startswith(caption_start))

    def pair_chart():
        """China-Russia stories a day with the 7- and 28-day rolling means; spike days ringed."""
        cols, rows = rows_of("China-Russia in one sentence")
        r = [dict(zip(cols, row, strict=True)) for row in rows]
        fig, ax = plt.subplots(figsize=(8, 3))
        days = [x["day"] for x in r]
        ax.bar(days, [x["stories"] for x in r], color="#9ab", label="stories")
        ax.plot(days, [x["rolling_7d"] for x in r], color="#246", label="7-day mean")
        ax.plot(days, [x["rolling_28d"] for x in r], color="#c60", label="28-day mean")
        spikes = [x for x in r if x["spike"]]
        ax.scatter([x["day"] for x in spikes], [x["stories"] for x in spikes], s=80, facecolors="none",
                   edgecolors="#c00", label="SPIKE")  # fmt: skip
        ax.set_title("CN-RU co-mentioned in one sentence: stories a day")
        ax.legend(fontsize=8)
        fig.autofmt_xdate()
        return fig

    def weekly_chart():
        """Weekly stories per country."""
        cols, rows = rows_of("Weekly stories per country")
        r = [dict(zip(cols, row, strict=True)) for row in rows]
        fig, ax = plt.subplots(figsize=(8, 3))
        for country in sorted({x["country"] for x in r}):
            mine = [x for x in r if x["country"] == country]
            ax.plot([x["week"] for x in mine], [x["stories"] for x in mine], marker="o", label=country)
        ax.set_title("Stories a week per country")
        ax.legend(fontsize=8)
        fig.autofmt_xdate()
        return fig

    def state_chart():
        """Share of each outlet group's articles that mention the country."""
        cols, rows = rows_of("State-affiliated outlets against the rest")
        r = [dict(zip(cols, row, strict=True)) for row in rows]
        fig, ax = plt.subplots(figsize=(8, 3))
        labels = [f"{x['country']} {x['outlets']}" for x in r]
        ax.barh(labels, [x["share"] or 0 for x in r], color="#579")
        ax.set_title("Share of an outlet group's articles that mention the country")
        return fig

    charts = {
        "cn_ru_series": pair_chart(),
        "weekly_countries": weekly_chart(),
        "state_vs_other": state_chart(),
    }
    return (charts,)


@app.cell
def _(Path, charts, mo, os):
    out = os.environ.get("NEWSMON_NOTEBOOK_CHARTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        for name, fig in charts.items():
            fig.savefig(Path(out) / f"{name}.png", dpi=80, bbox_inches="tight")
    mo.vstack(list(charts.values()))
    return


if __name__ == "__main__":
    app.run()
