"""Issue 15, the property: a backup mutated self-consistently (index, checksums and seal
recomputed, so every integrity check passes) is either restored faithfully or refused in
one sentence, and ``verify``, ``restore --dry-run`` and ``restore`` say the same of it.

For each mutated file (``sound_fixtures.Checker.check``): ``verify``, ``restore --dry-run
--create``, ``restore --create``, ``restore --dry-run`` and ``restore --on-conflict copy``
into EXISTING (an organization holding the same groups and its own rows), each on a fresh
copy of the targets:

- every exit code is 0, 3 or 4, never 1, never a traceback; a refusal is one sentence
  (``Error: …`` and at most a ``Hint: …``);
- the five verdicts are the same (verify 0 ⇔ dry run 0 ⇔ restore 0);
- refused: the new organization is not listed and left nothing behind, EXISTING is
  unchanged (fingerprint);
- accepted: every restored group holds exactly what the file says (read without cheel:
  ``sound_fixtures.file_groups``), EXISTING's own groups are unchanged;
- and where the issue says what a sound reader does (``Mutation.expect``): refused (exit 4)
  or accepted.

Mutations, by class (strategies below; ``test_sound_classes.py`` tries named cases of every
class on every run): chunk values per column type; ids; declared id ranges; foreign keys;
names (and uids); manifest keys, types and shapes; the manifest's declared column types;
columns and tables; row counts; the closing index; chunk bytes; members and rows;
harmless changes that must be accepted.

Runs on SQLite (``CHEEL_PROPERTY_EXAMPLES`` mutated files, default 1500: 1¼ to 1¾ minutes here)
and on PostgreSQL (``CHEEL_PROPERTY_PG_EXAMPLES``, default 60: about a minute; skipped
without a server), derandomized so that CI tries the same files every run.
``CHEEL_PROPERTY_SURVEY=1`` tries every example without stopping at the first failure and
fails at the end with the problems, by class (no shrinking); ``CHEEL_PROPERTY_SURVEY=FILE``
also writes every failure to FILE. The number of mutated files tried is printed at the end
of the session.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings


import sound_fixtures
from sound_fixtures import count_report, honest, module_kdf, sources  # noqa: F401 (fixtures)
from sound_property_support import BASES, MUTATIONS

EXAMPLES = int(os.environ.get("CHEEL_PROPERTY_EXAMPLES", "1500"))
PG_EXAMPLES = int(os.environ.get("CHEEL_PROPERTY_PG_EXAMPLES", "60"))
SURVEY = os.environ.get("CHEEL_PROPERTY_SURVEY", "")  # "1", or a file to write every failure to


# -- the tests ------------------------------------------------------------------------------------
def _run_property(sources, honest, checker: sound_fixtures.Checker, examples: int,  # noqa: F811
                  label: str) -> None:
    failures: dict[str, list[str]] = defaultdict(list)
    distinct: set[tuple[str, str]] = set()
    per_class: dict[str, int] = defaultdict(int)

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              print_blob=False, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                       HealthCheck.too_slow,
                                                       HealthCheck.data_too_large,
                                                       HealthCheck.filter_too_much])
    @given(base=BASES, mutation=MUTATIONS)
    def prop(base, mutation):
        parts = honest[base]
        password = sources.passwords[base]
        data = sound_fixtures.reseal(sound_fixtures.mutate(parts, mutation), password)
        expect = mutation.verdict(parts)
        distinct.add((base, mutation.label))
        per_class[mutation.cls] += 1
        problems = checker.check(data, password, expect)
        if problems:
            text = f"{mutation!r} on the {base} file (a sound reader: {expect})\n  " + \
                "\n  ".join(problems)
            if SURVEY:
                failures[mutation.cls].append(text)
                return
            raise AssertionError(text)

    prop()
    print(f"\n{label}: {checker.n} mutated files tried, {len(distinct)} distinct; by class: "
          + ", ".join(f"{c} {n}" for c, n in sorted(per_class.items())))
    if failures and SURVEY not in ("", "1"):
        with open(SURVEY, "w", encoding="utf-8") as f:
            for cls, items in sorted(failures.items()):
                f.write("".join(f"[{cls}] {t}\n" for t in items))
    if failures:
        lines = [f"{sum(map(len, failures.values()))} of {checker.n} mutated files are not "
                 f"handled as a sound reader would:"]
        for cls, items in sorted(failures.items()):
            lines.append(f"[{cls}] {len(items)} of {per_class[cls]} files, e.g.:")
            lines += ["  " + t.replace("\n", "\n  ") for t in items[:3]]
        raise AssertionError("\n".join(lines))


def test_mutated_backups_are_refused_or_restored_faithfully(sources, honest, tmp_path):  # noqa: F811
    checker = sound_fixtures.Checker(sources, tmp_path / "work", "sqlite")
    _run_property(sources, honest, checker, EXAMPLES, "SQLite")


@pytest.mark.postgres
def test_mutated_backups_on_postgres(sources, honest, tmp_path, pg_url, pg_dbname):  # noqa: F811
    template_db = pg_dbname("cheel_sound_tpl")
    template = tmp_path / "pg-template"
    sound_fixtures.make_pg_existing(template, pg_url, template_db)
    pg = sound_fixtures.PgTargets(pg_url, template_db, lambda: pg_dbname("cheel_sound"))
    checker = sound_fixtures.Checker(sources, tmp_path / "work", "postgres", pg=pg,
                                     template=template)
    _run_property(sources, honest, checker, PG_EXAMPLES, "PostgreSQL")


# -- bounded memory -------------------------------------------------------------------------------
ZEROS_AFTER_END = 4 << 30  # GiBs of zeros after the tar's end blocks, compressed to ~140 KB
OVER_LIMIT = 250 << 20  # a chunk member of zeros above the member limit (96 MiB)
UNDER_LIMIT = (96 << 20) - 4096  # … and just under it: read whole, then refused
MAX_RSS_MIB = 200
CHILD_TIMEOUT = 180  # seconds: a reader that hangs fails the test instead of blocking CI
ADDRESS_LIMIT = 3 << 30  # a reader gone wrong fails in the child, not on the CI machine


@pytest.mark.parametrize("kind", ["format-1-zeros-after-end", "format-1-bomb-over-limit",
                                  "format-1-bomb-under-limit", "format-2-bomb-over-limit",
                                  "format-2-bomb-under-limit"])
def test_hostile_stream_is_refused_in_bounded_memory(sources, tmp_path, kind):  # noqa: F811
    """Self-consistent files whose zstd stream goes on for GiBs of zeros after the tar's
    end blocks, or that hold a chunk of zeros (listed in the index with its true size and
    SHA-256) above or just under the member limit, laid out as format 1 or 2: ``cheel
    verify`` in a child process says exit 4 in one sentence, with a peak RSS under
    200 MiB."""
    path = tmp_path / f"{kind}.cheelbackup"
    honest = sources.files["plain"]  # noqa: F811
    if kind == "format-1-zeros-after-end":
        sound_fixtures.trailing_zeros_file(path, honest, ZEROS_AFTER_END)
    else:
        size = OVER_LIMIT if kind.endswith("over-limit") else UNDER_LIMIT
        sound_fixtures.bomb_file(path, honest, size, version=int(kind.split("-")[1]))
    assert path.stat().st_size < 1 << 20  # a small file: the cost is the reader's
    sound_fixtures.TRIED["memory"] += 1
    run = sound_fixtures.run_cheel_child(
        ["--data-dir", str(tmp_path / "data"), "verify", str(path)],
        timeout=CHILD_TIMEOUT, address_limit=ADDRESS_LIMIT)
    said = run.stderr.strip()[:300]
    problems = []
    if run.code is None:
        problems.append(f"cheel verify still ran after {CHILD_TIMEOUT} s (killed)")
    elif run.code != 4:
        problems.append(f"exit {run.code}: {said!r}")
    elif sound_fixtures.one_sentence(run.stderr):
        problems.append(f"stderr has {sound_fixtures.one_sentence(run.stderr)}")
    if run.max_rss_mib >= MAX_RSS_MIB:
        problems.append(f"peak RSS {run.max_rss_mib:.0f} MiB (bound {MAX_RSS_MIB} MiB)")
    assert not problems, f"{kind}: " + "; ".join(problems) + f" ({run.seconds:.1f} s)"
