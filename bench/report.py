"""The report: results.md (the bars, then a table per section) and results.png."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from common import ENGINE_NAMES, GROUP_LABELS, LABELS, REPLACE_LABELS
from machine import others_cpu

if TYPE_CHECKING:
    from scenarios import Bench


def med(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def mib(kb: float | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.1f}"


def mb(b: float | None) -> str:
    return "–" if b is None else f"{b / 1e6:,.2f}"


def yes(ok: bool | None) -> str:
    return "–" if ok is None else ("**yes**" if ok else "**NO**")


class Report:
    def __init__(self, b: "Bench"):
        self.b = b
        self.m = b.meta
        self.bars: list[dict] = []
        self._compute_bars()

    def stat(self, section: str, engine: str, lines: int, cmd: str) -> dict | None:
        ss = [s for s in self.b.samples
              if (s.section, s.engine, s.lines, s.cmd) == (section, engine, lines, cmd)]
        if not ss:
            return None
        return {"wall": med([s.wall for s in ss]), "cpu": med([s.cpu for s in ss]),
                "rss": med([s.maxrss_kb for s in ss]), "out": med([s.out_bytes for s in ss]),
                "srv": med([s.server_cpu for s in ss]),
                "rows": med([s.extra.get("rows") for s in ss]), "n": len(ss)}

    def paired_ratio(self, section: str, engine: str, lines: int, cmd: str, base: str
                     ) -> float | None:
        """Median over repetitions of ``cmd``'s wall time ÷ the baseline's in the same
        repetition (the two run back to back), so that the machine's speed drifting between
        repetitions cancels out instead of landing on one side of a ratio of medians."""
        def walls(c: str) -> dict[int, float]:
            return {s.rep: s.wall for s in self.b.samples
                    if (s.section, s.engine, s.lines, s.cmd) == (section, engine, lines, c)}
        a, r = walls(cmd), walls(base)
        ratios = [a[k] / r[k] for k in a if k in r and r[k]]
        return statistics.median(ratios) if ratios else None

    def label(self, engine: str, cmd: str, cell: bool = True) -> str:
        """The display name of a command; ``cell``: escaped for a Markdown table cell."""
        text = GROUP_LABELS[cmd] if cmd in GROUP_LABELS else \
            LABELS[engine][cmd].format(jobs=self.b.jobs)
        return text.replace("|", "\\|") if cell else text

    # ---- the bars, at the main size N
    def _compute_bars(self) -> None:
        b, n = self.b, self.b.n

        def ratio(engine, cmd, base, key="wall", section="backup"):
            if key == "wall":
                return self.paired_ratio(section, engine, n, cmd, base)
            a, c = self.stat(section, engine, n, cmd), self.stat(section, engine, n, base)
            if not a or not c or not c[key]:
                return None
            return a[key] / c[key]

        def add(bar, engine, value, ok, detail=""):
            self.bars.append({"bar": bar, "engine": engine, "value": value, "ok": ok,
                              "detail": detail})

        def restore_bars(engine, baseline, strict):
            """The brief: SQLite's restore must be faster than its baseline, PostgreSQL's
            no slower."""
            for cmd in ("restore_enc", "restore_plain"):
                r = ratio(engine, cmd, "base_restore", section="restore")
                kind = "encrypted" if cmd == "restore_enc" else "unencrypted"
                add(f"restore time {'<' if strict else '≤'} 1.0× {baseline} ({kind} file)",
                    engine, r, None if r is None else (r < 1.0 if strict else r <= 1.0))

        r = ratio("sqlite", "backup_enc", "base_backup")
        add("encrypted backup time ≤ 1.0× `sqlite3 .dump | zstd -3`", "sqlite", r,
            None if r is None else r <= 1.0)
        restore_bars("sqlite", "`zstd -dc | sqlite3`", strict=True)
        r = ratio("sqlite", "backup_enc", "base_backup", key="out")
        add("backup file size ≤ zstd -3 SQL dump", "sqlite", r, None if r is None else r <= 1.0)
        if "postgres" in b.engines:
            r = ratio("postgres", "backup_enc", "base_backup")
            add("encrypted backup time ≤ 1.0× `pg_dump -Fc`", "postgres", r,
                None if r is None else r <= 1.0)
            restore_bars("postgres", "`pg_restore`", strict=False)
        # Issue 22: restores near the engines' own limits (and the encrypted backup).
        for engine, cmd, base, section, limit, bar in [
                ("sqlite", "restore_plain", "base_restore", "restore", 0.5,
                 "issue 22: restore time ≤ 0.5× `zstd -dc | sqlite3` (unencrypted file)"),
                ("sqlite", "restore_plain", "base_restore_floor", "restore", 2.5,
                 "issue 22: restore time ≤ 2.5× the attach-and-copy floor (unencrypted file)"),
                ("sqlite", "backup_enc", "base_backup", "backup", 0.85,
                 "issue 22: encrypted backup time ≤ 0.85× `sqlite3 .dump | zstd -3`"),
                ("postgres", "restore_plain", "base_restore_jobs", "restore", 1.0,
                 f"issue 22: restore time ≤ 1.0× `pg_restore --jobs {b.jobs}` "
                 "(unencrypted file)"),
                ("sqlite", "group_replace", "group_new", "replace", 1.2,
                 "issue 22: replacing the largest group ≤ 1.2× restoring it into a new "
                 "organization"),
                ("sqlite", "verify", "restore_plain", "replace", 0.5,
                 "issue 22: verify ≤ 0.5× the restore of the same file")]:
            if engine in b.engines:
                r = ratio(engine, cmd, base, section=section)
                add(bar, engine, r, None if r is None else r <= limit)
        for engine in b.engines:
            worst = None
            for g in self.group_rows(engine):
                if g["vs_ref"] is not None and (worst is None or g["vs_ref"] > worst):
                    worst = g["vs_ref"]
            add("small-group backup costs in proportion to its rows (time ÷ time of a "
                "standalone org of that size, row-scaled; ≤ 1.25)", engine, worst,
                None if worst is None else worst <= 1.25)
        for engine in b.engines:
            for lo, hi in b.mem_pairs:
                worst = None
                for row in self.memory_rows(engine):
                    if row["cheel"] and (row["lo"], row["hi"]) == (lo, hi):
                        worst = row["growth"] if worst is None else max(worst, row["growth"])
                add(f"peak RSS growth from {lo:,} to {hi:,} lines < 10 % (worst cheel command)",
                    engine, worst, None if worst is None else worst < 0.10)

    def group_rows(self, engine: str) -> list[dict]:
        b, n = self.b, self.b.n
        whole = self.stat("group", engine, n, "group_whole")
        rows = []
        refs = {"group_keller": b.mid, "group_copies": b.small}
        for cmd in ("group_keller", "group_copies", "group_whole"):
            g = self.stat("group", engine, n, cmd)
            if not g or not whole:
                continue
            ref_lines = refs.get(cmd)
            ref = None
            if ref_lines:  # older results had no standalone runs in this section
                ref = (self.stat("group", engine, ref_lines, "standalone")
                       or self.stat("backup", engine, ref_lines, "backup_plain"))
            vs_ref = None
            if ref and ref["rows"] and g["rows"] and ref["wall"]:
                vs_ref = g["wall"] / (ref["wall"] * g["rows"] / ref["rows"])
            rows.append({"cmd": cmd, "rows": g["rows"], "wall": g["wall"], "cpu": g["cpu"],
                         "rss": g["rss"], "out": g["out"],
                         "row_share": g["rows"] / whole["rows"] if whole["rows"] else None,
                         "time_share": g["wall"] / whole["wall"] if whole["wall"] else None,
                         "ref_lines": ref_lines, "ref": ref, "vs_ref": vs_ref})
        return rows

    def memory_rows(self, engine: str) -> list[dict]:
        out = []
        for lo, hi in self.b.mem_pairs:
            for cmd in ("backup_enc", "backup_plain", "base_backup", "restore_enc",
                        "restore_plain", "base_restore", "base_restore_jobs"):
                section = "backup" if "backup" in cmd else "restore"
                a, c = self.stat(section, engine, lo, cmd), self.stat(section, engine, hi, cmd)
                if not a or not c:
                    continue
                out.append({"cmd": cmd, "lo": lo, "hi": hi, "rss_lo": a["rss"],
                            "rss_hi": c["rss"], "growth": c["rss"] / a["rss"] - 1,
                            "cheel": not cmd.startswith("base_")})
        return out

    # ---- markdown
    def markdown(self, png: str | None) -> str:
        b, m = self.b, self.m
        L: list[str] = []
        w = L.append
        kind = "QUICK run (small data, 1 repetition: not the bar's 1,000,000 lines)" \
            if b.args.quick else "full run"
        w(f"# cheel benchmark results — {kind}\n")
        w(f"Generated by `bench/run.py {' '.join(m['argv'])}` on {m['date']} in "
          f"{m['seconds']:.0f} s. Medians of {b.args.reps} repetition(s); every command is a "
          "separate process; the commands of one comparison alternate within each repetition. "
          "Ratios are cheel ÷ baseline (wall time unless said otherwise); < 1 means cheel is "
          "faster/smaller. Time ratios are the median over repetitions of the ratio within "
          "each repetition, where the two commands ran back to back (a change of the "
          "machine's speed between repetitions cancels out); the time columns are medians. "
          "Raw samples: the `.json` file next to this one. "
          "How to read this: `bench/README.md`.\n")
        w("| machine | |\n|---|---|")
        w(f"| CPU | {m['cpu']} |")
        w(f"| cores | {m['cores']} |")
        w(f"| memory | {m['memory']} |")
        w(f"| OS | {m['os']} |")
        w(f"| load average (1/5/15 min) at start → end (the end includes this run's own work) | "
          f"{' / '.join(f'{x:.2f}' for x in m['load_average_start'])} → "
          f"{' / '.join(f'{x:.2f}' for x in m['load_average_end'])} |")
        others = others_cpu(m.get("cpu_start"), m.get("cpu_end"))
        if others is not None:
            w(f"| CPU used by other processes during the run (machine − this run − "
              f"PostgreSQL server) | {others[0]:.2f} cores on average; stolen by the "
              f"hypervisor {others[1]:.2f} |")
        for engine, (seconds, wall) in m.get("others_by_engine", {}).items():
            if wall:
                w(f"| … while the {ENGINE_NAMES[engine]} backups and restores ran | "
                  f"{seconds / wall:.2f} cores on average |")
        w(f"| Python | {m['python']} (sqlite3 module: SQLite {m['sqlite_python']}; "
          f"zstandard {m['zstandard_python']}; cryptography {m['cryptography']}) |")
        w(f"| SQLite CLI | {m['sqlite3_cli']} |")
        w(f"| zstd CLI | {m['zstd_cli']} |")
        if "postgresql_server" in m:
            w(f"| PostgreSQL | server {m['postgresql_server']}; {m['pg_dump']} |")
        w(f"| cheel | {m['cheel']} (git {m['git_head']}, {m['git_changed_files']} changed or "
          f"untracked files in the tree; sources fingerprint `{m['src_fingerprint']}`) |")
        w(f"| data | demo organizations (`cheel demo --seed 1`) of "
          f"{', '.join(f'{s:,}' for s in b.sizes)} journal entry lines; main size N = "
          f"{b.n:,} |")
        w(f"| temp dir | `{m['temp_dir']}` |")
        w(f"| peak RSS measured with | {m.get('rss_method', 'wait4 ru_maxrss')} |")
        w("")
        if b.args.quick:
            w("> **Quick run**: the data is small, so fixed costs (Python start-up ≈ "
              f"{fmt(self.startup_wall())} s, scrypt key derivation ≈ 0.7 s) dominate cheel's "
              "times. Judge the bars on a full run (`bench/run.py`, 1,000,000 lines).\n")
        if m["src_fingerprint"] != m["src_fingerprint_end"]:
            w("> **The sources under `src/` changed during this run** (fingerprint "
              f"`{m['src_fingerprint']}` → `{m['src_fingerprint_end']}`): different rows may "
              "have measured different code. Run again.\n")
        if self.busy():
            w("> **The machine was busy** during this run (see the load average at the start "
              "and the CPU used by other processes): absolute times and ratios are "
              "unreliable. Run again on a quiet machine.\n")

        w("## Summary: the quality bars (at N = " f"{b.n:,} lines)\n")
        w("| bar | engine | measured | meets the bar? |\n|---|---|---:|---|")
        for bar in self.bars:
            v = bar["value"]
            if v is None:
                shown = "–"
            elif "RSS" in bar["bar"]:
                shown = f"{v * 100:+.1f} %"
            else:
                shown = f"{v:.2f}×"
            name = bar["bar"].replace("|", "\\|")
            w(f"| {name} | {ENGINE_NAMES[bar['engine']]} | {shown} | {yes(bar['ok'])} |")
        w("")
        sec = 1
        for engine in b.engines:
            for section in ("backup", "restore"):
                title = {"backup": "Backup of the whole organization",
                         "restore": "Restore into a new organization"}[section]
                w(f"## {sec}. {ENGINE_NAMES[engine]}: {title}\n")
                sec += 1
                w(self.section_table(engine, section))
        w(f"## {sec}. Backup of one small group out of a large organization\n")
        sec += 1
        w(f"Groups of the {b.n:,}-line organization, unencrypted (so that the constant scrypt "
          "cost does not blur the proportion). The *copies* are the three groups of the "
          f"{b.small:,}-line organization restored into the {b.n:,}-line one with "
          "`--on-conflict copy` (≈ 1 % of its rows), backed up with three `--group` options. "
          "*vs standalone* = group backup time ÷ (backup time of a standalone organization of "
          "about that size × group rows ÷ its rows, measured alternating with the group "
          "backups): 1.0 means the group costs exactly what its own data costs; the bar is "
          "≤ 1.25.\n")
        for engine in b.engines:
            w(f"**{ENGINE_NAMES[engine]}**\n")
            w("| backup | rows | group rows ÷ org rows | wall (s) | group time ÷ whole-org "
              "time | CPU (s) | peak RSS (MiB) | file (MB) | standalone org (lines: rows, wall) "
              "| vs standalone | meets the bar? |")
            w("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
            for g in self.group_rows(engine):
                ref = g["ref"]
                ref_s = "–" if not ref else (f"{g['ref_lines']:,}: {ref['rows']:,.0f} rows, "
                                             f"{fmt(ref['wall'])} s")
                ok = None if g["vs_ref"] is None else g["vs_ref"] <= 1.25
                share_r = "–" if g["row_share"] is None else f"{g['row_share'] * 100:.1f} %"
                share_t = "–" if g["time_share"] is None else f"{g['time_share'] * 100:.1f} %"
                w(f"| {self.label(engine, g['cmd'])} | {g['rows']:,.0f} | {share_r} | "
                  f"{fmt(g['wall'])} | {share_t} | {fmt(g['cpu'])} | {mib(g['rss'])} | "
                  f"{mb(g['out'])} | {ref_s} | {fmt(g['vs_ref'])} | {yes(ok)} |")
            setup = [s for s in b.samples if s.section == "setup" and s.cmd == "restore_copies"
                     and s.engine == engine]
            if setup:
                s = setup[0]
                w(f"\nRestoring the {b.small:,}-line organization's {s.extra['rows']:,} rows "
                  f"into the existing {b.n:,}-line organization as copies took "
                  f"{s.wall:.2f} s ({s.maxrss_kb / 1024:.0f} MiB peak RSS).")
            w("")
        if any(x.section == "replace" for x in b.samples):
            w(f"## {sec}. SQLite: replacing the largest group, and verify\n")
            sec += 1
            w(self.replace_table())
        w(f"## {sec}. Memory: peak RSS at 1× and 4× the data\n")
        sec += 1
        w("Peak RSS of the process (see \"peak RSS measured with\" above); for pipelines the "
          "largest of its processes. "
          "Bar (cheel only): < 10 % more at 4× the data. Encrypted commands include scrypt's "
          "fixed 256 MiB work area (work factor 2^18, age's default): a backup derives the key "
          "while it reads the data (the file's header is written last), a restore before it "
          "reads; either way a constant that hides the data-dependent memory, so judge "
          "flatness on the unencrypted rows.\n")
        w("| engine | command | lines (1×) | RSS 1× (MiB) | lines (4×) | RSS 4× (MiB) | growth "
          "| meets the bar? |\n|---|---|---:|---:|---:|---:|---:|---|")
        for engine in b.engines:
            for row in self.memory_rows(engine):
                ok = (row["growth"] < 0.10) if row["cheel"] else None
                verdict = yes(ok) + (" (scrypt's peak)" if row["cmd"].endswith("_enc") else "")
                w(f"| {ENGINE_NAMES[engine]} | {self.label(engine, row['cmd'])} | "
                  f"{row['lo']:,} | {mib(row['rss_lo'])} | {row['hi']:,} | "
                  f"{mib(row['rss_hi'])} | {row['growth'] * 100:+.1f} % | {verdict} |")
        w("")
        w(f"## {sec}. The cost of encryption (scrypt + ChaCha20-Poly1305)\n")
        sec += 1
        w("Unencrypted vs encrypted `cheel backup` of the same organization. The difference is "
          "mostly the scrypt key derivation (≈ constant time and 256 MiB, by design), plus "
          "the stream cipher (proportional to the file size).\n")
        w("| engine | lines | unencrypted wall (s) | encrypted wall (s) | difference (s) | "
          "unencrypted CPU (s) | encrypted CPU (s) | unencrypted RSS (MiB) | encrypted RSS (MiB) "
          "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for engine in b.engines:
            for lines in b.sizes:
                p = self.stat("backup", engine, lines, "backup_plain")
                e = self.stat("backup", engine, lines, "backup_enc")
                if not p or not e:
                    continue
                w(f"| {ENGINE_NAMES[engine]} | {lines:,} | {fmt(p['wall'])} | {fmt(e['wall'])} "
                  f"| {fmt(e['wall'] - p['wall'])} | {fmt(p['cpu'])} | {fmt(e['cpu'])} | "
                  f"{mib(p['rss'])} | {mib(e['rss'])} |")
        w("")
        w(f"## {sec}. Fixed costs and setup\n")
        st = self.stat("startup", "-", 0, "version")
        if st:
            w(f"- `cheel --version` (Python start-up and imports): {fmt(st['wall'])} s wall, "
              f"{fmt(st['cpu'])} s CPU, {mib(st['rss'])} MiB.")
        for s in b.samples:
            if s.section == "setup" and s.cmd == "demo":
                w(f"- `cheel demo --entries {s.lines}` on {ENGINE_NAMES[s.engine]}: "
                  f"{s.wall:.1f} s, {s.extra.get('group_rows', 0):,} rows"
                  + (f", {s.out_bytes / 1e6:.1f} MB" if s.out_bytes else "") + ".")
        w("")
        if png:
            w(f"## Plot\n\n![time and peak memory against data size]({png})\n")
        w("## Caveats\n")
        w("- CPU columns count the measured processes only. On PostgreSQL most of the work of "
          "both cheel and pg_dump/pg_restore happens in the server: the *server CPU* column is "
          "the CPU time of the whole local PostgreSQL server during the command (postmaster "
          "and all its processes, so other clients of the same server add to it; autovacuum "
          "may too)."
          + ("" if self.m.get("pg_server_cpu", True) else
             " **In this run it could not be measured** (the server is not local, or its "
             "processes are not readable): the column shows –."))
        w("- Restore output size is the size of the new database (SQLite file, or "
          "`pg_database_size`).")
        w("- The bar for group backups compares with a standalone organization of similar size "
          "measured in the same alternation; at small sizes both are dominated by fixed costs.")
        w("- The page cache is warm: every database was just written by `cheel demo`, and "
          "every backup file was just written. Numbers are for a warm cache.")
        w("- `cheel demo` analyzes a PostgreSQL organization once filled (the planner's "
          "statistics, as after any bulk load); the groups restored into it as copies for "
          "section 5 are not analyzed again.")
        fleet = Path(__file__).resolve().parent / "results-fleet.md"
        if fleet.exists():  # measured by bench/fleet.py, on its own (it takes minutes)
            w("\n## A fleet of organizations: `cheel plan run` (bench/fleet.py)\n")
            w(fleet.read_text().strip())
        return "\n".join(L) + "\n"

    def busy(self) -> bool:
        """Other processes used a quarter of a core or more on average during the run, or
        the hypervisor took as much (measured from /proc/stat at both ends). The load
        average is not asked when that measure exists: it is a decaying mean of the last
        minutes, so work that ended before the run started still shows in it (a run whose
        others used 0.00 cores was called busy for a load of 1.08 at its start). Runs
        without CPU snapshots (older results) are judged on the load average at both
        ends, as they were."""
        m = self.b.meta
        cores = m["cores"] or 1
        others = others_cpu(m.get("cpu_start"), m.get("cpu_end"))
        if others is None:
            return max(m["load_average_start"][0], m["load_average_end"][0]) > 0.5 * cores
        return sum(others) >= 0.25

    def startup_wall(self) -> float | None:
        st = self.stat("startup", "-", 0, "version")
        return st["wall"] if st else None

    def replace_table(self) -> str:
        """Issue 22's two goals measured side by side at N, the four commands alternating:
        the replace against the same group into a new organization, verify against the
        restore of the same file."""
        n = self.b.n
        refs = {"restore_plain": None, "verify": "restore_plain", "group_new": None,
                "group_replace": "group_new"}
        L = ["| lines | command | rows | wall (s) | CPU (s) | peak RSS (MiB) | time ratio |",
             "|---:|---|---:|---:|---:|---:|---:|"]
        for cmd, ref in refs.items():
            s = self.stat("replace", "sqlite", n, cmd)
            if not s:
                continue
            tr = self.paired_ratio("replace", "sqlite", n, cmd, ref) if ref else None
            shown = f"{tr:.2f}× {REPLACE_LABELS[ref].split(' (')[0]}" if tr else "reference"
            rows = f"{s['rows']:,.0f}" if s["rows"] else "–"
            L.append(f"| {n:,} | {REPLACE_LABELS[cmd]} | {rows} | {fmt(s['wall'])} | "
                     f"{fmt(s['cpu'])} | {mib(s['rss'])} | {shown} |")
        return "\n".join(L) + ("\n\nThe same unencrypted file of the main size throughout; the "
                               "replace runs on a fresh copy of the organization each time "
                               "(the copy untimed). Bars (issue 22): the replace ≤ 1.2× the "
                               "group into a new organization; verify ≤ 0.5× the restore.\n")

    def section_table(self, engine: str, section: str) -> str:
        b = self.b
        cmds = [c for c in LABELS[engine] if (("backup" in c) == (section == "backup"))]
        base = "base_backup" if section == "backup" else "base_restore"
        pg = engine == "postgres"
        head = ("| lines | command | wall (s) | CPU (s) | " + ("server CPU (s) | " if pg else "")
                + "peak RSS (MiB) | output (MB) | time ratio | size ratio | meets the bar? |")
        L = [head, "|" + "---:|---|" + "---:|" * (6 + pg) + "---|"]
        # the bars: backup ≤ 1.0 (and size ≤ 1.0 for SQLite); restore < 1.0 (SQLite), ≤ 1.0 (PG)
        for lines in b.sizes:
            ref = self.stat(section, engine, lines, base)
            for cmd in cmds:
                s = self.stat(section, engine, lines, cmd)
                if not s:
                    continue
                tr = sr = None
                ok = None
                if ref and not cmd.startswith("base_"):
                    tr = self.paired_ratio(section, engine, lines, cmd, base)
                    sr = s["out"] / ref["out"] if ref["out"] and section == "backup" else None
                    if tr is not None:
                        if section == "backup":
                            ok = tr <= 1.0 and (sr is None or engine != "sqlite" or sr <= 1.0)
                        else:
                            ok = tr < 1.0 if engine == "sqlite" else tr <= 1.0
                elif cmd in ("base_restore_jobs", "base_restore_floor") and ref:
                    tr = self.paired_ratio(section, engine, lines, cmd, base)
                cells = [f"{lines:,}", self.label(engine, cmd), fmt(s["wall"]), fmt(s["cpu"])]
                if pg:
                    cells.append(fmt(s["srv"]))
                cells += [mib(s["rss"]), mb(s["out"]),
                          "baseline" if cmd == base else (f"{tr:.2f}×" if tr else "–"),
                          f"{sr:.2f}×" if sr else "–", yes(ok)]
                L.append("| " + " | ".join(cells) + " |")
        note = {("sqlite", "backup"): "Bar: time ≤ 1.0× and file size ≤ 1.0× the zstd -3 dump.",
                ("sqlite", "restore"): "Bar: time < 1.0× loading the dump with sqlite3. "
                                       "Output = size of the new database file. The floor "
                                       "row (ratio vs the sqlite3 load) is what SQLite "
                                       "itself spends on the same rows and indexes: the "
                                       "organization's file attached, its rows copied "
                                       "table to table into a new file without a journal, "
                                       "then the indexes built.",
                ("postgres", "backup"): "Bar: time ≤ 1.0× `pg_dump -Fc` (size shown for "
                                        "information).",
                ("postgres", "restore"): "Bar: time ≤ 1.0× `createdb && pg_restore` with the "
                                         "default --jobs 1; the --jobs N row is for "
                                         "information (ratio vs --jobs 1)."}[(engine, section)]
        return "\n".join(L) + "\n\n" + note + "\n"
