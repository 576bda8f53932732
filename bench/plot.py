"""The benchmark's figure: time and peak memory of every whole-organization command against
the organization's size, beside the Markdown report (report.py) that tables the same runs."""

from __future__ import annotations

import sys
from pathlib import Path

from common import ENGINE_NAMES


def plot(report, path: Path) -> bool:
    """Draw ``report``'s time and memory series to ``path`` (PNG); False when matplotlib is
    not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed; no plot", file=sys.stderr)
        return False
    b = report.b
    series = []
    for engine in ("sqlite", "postgres"):
        for section in ("backup", "restore"):
            for kind in ("enc", "plain", "base"):
                cmd = f"base_{section}" if kind == "base" else f"{section}_{kind}"
                series.append((engine, section, cmd, kind))
    colors = {("sqlite", "backup"): "tab:blue", ("sqlite", "restore"): "tab:green",
              ("postgres", "backup"): "tab:orange", ("postgres", "restore"): "tab:red"}
    styles = {"enc": ("-", "o"), "plain": (":", "^"), "base": ("--", "s")}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6))
    for engine, section, cmd, kind in series:
        if engine not in b.engines:
            continue
        xs, ts, rs = [], [], []
        for lines in b.sizes:
            s = report.stat(section, engine, lines, cmd)
            if s:
                xs.append(lines)
                ts.append(s["wall"])
                rs.append(s["rss"] / 1024)
        if not xs:
            continue
        label = f"{ENGINE_NAMES[engine]}: {report.label(engine, cmd, cell=False)}"
        line, marker = styles[kind]
        style = dict(color=colors[(engine, section)], linestyle=line, marker=marker,
                     label=label, markersize=5)
        ax1.plot(xs, ts, **style)
        ax2.plot(xs, rs, **style)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("journal entry lines in the organization")
        ax.grid(True, which="both", alpha=0.3)
    ax1.set_yscale("log")
    ax1.set_ylabel("wall time (s, median)")
    ax1.set_title("Time")
    ax2.set_ylabel("peak RSS (MiB, median)")
    ax2.set_ylim(bottom=0)
    ax2.set_title("Peak memory")
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7.5, frameon=False)
    kind = "quick run" if b.args.quick else "full run"
    fig.suptitle(f"cheel vs baselines ({kind}, {report.m['cpu']}, {report.m['cores']} cores, "
                 f"{report.m['date'][:10]})\nsolid: cheel, encrypted · dotted: cheel, "
                 "unencrypted · dashed: baseline",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.19, 1, 0.93))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True

