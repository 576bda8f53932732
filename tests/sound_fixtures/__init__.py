"""What the sound-file tests share (issue 15): real backups taken apart and sealed again
self-consistently, the mutations made to them, the CLI run in-process, and an independent
reading of what a file says a group holds.

Only these touch cheel's internals; when the reader or the writer changes, they are the ones
to adapt:

- :mod:`.sample_files` (``make_sources`` / ``make_pg_existing``) and
  :mod:`.targets` (``list_pg_existing``): the sample organization
  (``tests/vectors/sample.py``: ``build_sample``, ``backup``), the organization restored
  into (``cheel.store.catalog``, ``cheel.store.organizations.create_company``);
- :mod:`.parts` (``reseal``): ``cheel.archive.writer.ContainerWriter`` (falls back to
  ``tests/vectors/assemble.py`` for what the writer refuses to write);
- :mod:`.runs` (``run_cli``): ``cheel.cli.main.cli``;
- :mod:`.targets` (``target_content`` / ``org_fingerprint`` / ``group_uids``):
  ``tests/helpers.py`` (``group_content``, ``fingerprint``) and
  ``cheel.store.organizations.opened``;
- :mod:`.fixtures` (``fast_kdf``): ``cheel.archive.age.scrypt.scrypt_kdf`` memoized;
- ``cheel.store.schema``: the target schema the mutations and the oracles use.

Everything else reads and writes the file format with ``pyrage``, ``zstandard``, ``tarfile``
and ``json`` only (:mod:`.parts`' ``take_apart``, :mod:`.content`'s ``file_groups``,
:mod:`.hostile_files`), so that "the target now holds what the file says" is not judged by
the reader under test.

The modules: :mod:`.verdicts` (what a sound reader does), :mod:`.mutation` (a mutation and
how it is applied), the mutations by what they change (:mod:`.values`, :mod:`.ids`,
:mod:`.names`, :mod:`.manifest`, :mod:`.members`), :mod:`.checker` (a mutated file through
``verify``, dry runs and restores), :mod:`.fixtures` (the pytest fixtures the test modules
import).
"""

from .checker import TRIED, Checker
from .content import (FileGroup, content_diff, file_content, file_groups, file_names, normalize,
                      short)
from .fixtures import count_report, fast_kdf, honest, module_kdf, sources
from .hostile_files import bomb_file, trailing_zeros_file, write_sealed, zeros
from .ids import lie_ids, references, renumber, swap_rows
from .manifest import (MISSING, at, deep, deep_manifest, drop_column, drop_table, index_edit,
                       lie_count, manifest_edit, manifest_set, rename_column, retype,
                       swap_columns, unknown_keys)
from .members import (duplicate_row, drop_rows, member_edit, next_chunk, raw_chunk, rechunk,
                      rename_members, renumber_members, reorder)
from .mutation import Mutation, mutate, pick
from .names import rename, reuid
from .parts import (SEAL_HEAD, Parts, decode_json, encode_rows, fix_counts, fix_ids, plaintext,
                    read_members, reseal, sort_by_id, take_apart)
from .runs import ChildRun, CliResult, run_cheel_child, run_cli
from .sample_files import EXISTING, NEW, PASSWORD, SOURCE, Sources, make_pg_existing, make_sources
from .targets import (PgTargets, group_uids, list_pg_existing, org_fingerprint, org_names,
                      target_content)
from .values import balanced_amount, set_ref, set_value
from .verdicts import (ACCEPT, EITHER, INT64_MAX, INT64_MIN, PLAIN_DECIMAL, REFUSE, UNIQUE_TUPLES,
                       is_int, name_verdict, one_sentence, value_verdict)

__all__ = [
    "ACCEPT", "EITHER", "EXISTING", "INT64_MAX", "INT64_MIN", "MISSING", "NEW", "PASSWORD",
    "PLAIN_DECIMAL", "REFUSE", "SEAL_HEAD", "SOURCE", "TRIED", "UNIQUE_TUPLES", "Checker",
    "ChildRun", "CliResult", "FileGroup", "Mutation", "Parts", "PgTargets", "Sources", "at",
    "balanced_amount", "bomb_file", "content_diff", "count_report", "decode_json", "deep",
    "deep_manifest", "drop_column", "drop_rows", "drop_table", "duplicate_row", "encode_rows",
    "fast_kdf", "file_content", "file_groups", "file_names", "fix_counts", "fix_ids",
    "group_uids", "honest", "index_edit", "is_int", "lie_count", "lie_ids", "list_pg_existing",
    "make_pg_existing", "make_sources", "manifest_edit", "manifest_set", "member_edit",
    "module_kdf", "mutate", "name_verdict", "next_chunk", "normalize", "one_sentence",
    "org_fingerprint", "org_names", "pick", "plaintext", "raw_chunk", "read_members",
    "rechunk", "references", "rename", "rename_column", "rename_members", "renumber",
    "renumber_members", "reorder", "reseal", "retype", "reuid", "run_cheel_child", "run_cli",
    "set_ref", "set_value", "short", "sort_by_id", "sources", "swap_columns", "swap_rows",
    "take_apart", "target_content", "trailing_zeros_file", "unknown_keys", "value_verdict",
    "write_sealed", "zeros",
]
