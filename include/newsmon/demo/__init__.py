"""The offline demo: an original sample corpus of fictional news outlets, and a loopback server for it.

- `newsmon.demo.corpus.build_corpus(end_day=None) -> Corpus`: the articles with their ground truth (outlet, path,
  title, story paragraphs without chrome, published time, wire-copy origin, failure mode, language, charset), the
  outlets, the feeds and the planted `spike_day`; `Corpus.render(base_url)` gives every response as bytes.
- `newsmon.demo.server.DemoServer(host, port, end_day, slow_seconds)`: serves all outlets from one port
  (`.url`, `.feeds()`, `.write_feeds_yaml(path)`); `cli_demo_server` is `newsmon demo-server`.

All stories, outlets and people are fictional and written for this project; no publisher text is used.
"""
