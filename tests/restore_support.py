"""What the restore tests share (test_restore.py, test_restore_failures.py): the password
and a backup made with it, the content of an organization's groups, and a demo
organization (3000 lines, SQLite) per test. The modules import the fixture by name
(``# noqa: F401``)."""

from __future__ import annotations

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.demo import DemoOptions, create_demo
from cheel.store import organizations
from helpers import group_content

PW = "correct horse"


def backup(catalog, org, dest, groups=(), password=PW):
    plan = plan_backup(catalog, BackupOptions([org], dest, list(groups), password, log2n=10))
    return run_backup(catalog, plan).path


def contents(catalog, org, ignore_uids=False):
    with organizations.opened(catalog, org) as (_, db):
        with db.snapshot():
            return {g.name: group_content(db, g.uid, ignore_uids)
                    for g in organizations.list_groups(db)}


@pytest.fixture
def demo(catalog):
    create_demo(catalog, DemoOptions(name="Demo SA", entries=3000, seed=7))
    return catalog
